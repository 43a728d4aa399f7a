/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * comp_ring in one thread (plus a partner thread for the blocking cases):
 * layout and attach errors, FIFO semantics across wrap-around, batches,
 * signal suppression (who signals when), back-pressure in both modes,
 * and a hostile peer writing to shared memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rumpbridge/dom.h>
#include <rumpbridge/ring.h>

#include "rb_test.h"

#define CAP 8u
#define DATA (CAP * 256u)

struct fixture {
	void *mem;
	size_t size;
	struct comp_ring prod, cons;
	int psig, csig; /* signals each side sent */
	struct comp_ring_ctl *active, *freeq;
	struct comp_ring_desc *adesc, *fdesc;
};

static int count_signal(void *ctx)
{
	(*(int *)ctx)++;
	return 0;
}

static void *alloc_mem(size_t size)
{
	void *p = NULL;

	assert_int_equal(posix_memalign(&p, COMP_RING_PAGE, size), 0);
	memset(p, 0xa5, size); /* format must not depend on zeroed memory */
	return p;
}

/* A ring with CAP descriptors and DATA bytes; buf_size 0: free queue empty. */
static void setup_ring(struct fixture *f, uint64_t buf_size)
{
	struct comp_ring_channel pc = {count_signal, &f->psig, NULL, NULL, 0};
	struct comp_ring_channel cc = {count_signal, &f->csig, NULL, NULL, 0};

	memset(f, 0, sizeof(*f));
	f->size = comp_ring_size(CAP, DATA);
	assert_int_not_equal(f->size, 0);
	f->mem = alloc_mem(f->size);
	assert_int_equal(comp_ring_format(f->mem, f->size, CAP, DATA, buf_size), 0);
	assert_int_equal(comp_ring_attach(&f->prod, f->mem, f->size, COMP_RING_PRODUCER, CAP, &pc), 0);
	assert_int_equal(comp_ring_attach(&f->cons, f->mem, f->size, COMP_RING_CONSUMER, 0, &cc), 0);
	/* the layout of docs/rings.md */
	f->active = (struct comp_ring_ctl *)((char *)f->mem + COMP_RING_PAGE);
	f->freeq = (struct comp_ring_ctl *)((char *)f->mem + 2 * COMP_RING_PAGE);
	f->adesc = (struct comp_ring_desc *)((char *)f->mem + 3 * COMP_RING_PAGE);
	f->fdesc = (struct comp_ring_desc *)((char *)f->mem + 4 * COMP_RING_PAGE);
}

static void teardown_ring(struct fixture *f)
{
	comp_ring_detach(&f->prod);
	comp_ring_detach(&f->cons);
	free(f->mem);
}

/* A descriptor, as an lvalue (so &D(...) works). */
#define D(off, len, cookie) ((struct comp_ring_desc){(off), (len), (cookie)})

/* ---- layout ---- */

static void layout_and_format_errors(void **s)
{
	(void)s;
	void *mem;
	size_t size;

	assert_int_equal(comp_ring_size(0, 0), 0);
	assert_int_equal(comp_ring_size(1, 0), 0);
	assert_int_equal(comp_ring_size(3, 0), 0);
	assert_int_equal(comp_ring_size(COMP_RING_CAPACITY_MAX * 2, 0), 0);
	assert_int_equal(comp_ring_size(2, UINT64_MAX - 100), 0);
	/* header, two control pages, two descriptor pages, data rounded up */
	assert_int_equal(comp_ring_size(2, 0), 5 * COMP_RING_PAGE);
	assert_int_equal(comp_ring_size(256, 1), 6 * COMP_RING_PAGE);
	assert_int_equal(comp_ring_size(512, 4096), 8 * COMP_RING_PAGE);
	assert_int_equal(sizeof(struct comp_ring_desc), 16);
	assert_int_equal(sizeof(struct comp_ring_ctl), 256);
	assert_int_equal(offsetof(struct comp_ring_ctl, head), 0x40);
	assert_int_equal(offsetof(struct comp_ring_ctl, consumer_wants), 0x80);
	assert_int_equal(offsetof(struct comp_ring_ctl, producer_wants), 0xc0);

	size = comp_ring_size(CAP, DATA);
	mem = alloc_mem(size + 64);
	assert_int_equal(comp_ring_format(NULL, size, CAP, DATA, 0), -EINVAL);
	assert_int_equal(comp_ring_format((char *)mem + 8, size, CAP, DATA, 0), -EINVAL);
	assert_int_equal(comp_ring_format(mem, size, 6, DATA, 0), -EINVAL);
	assert_int_equal(comp_ring_format(mem, size - 1, CAP, DATA, 0), -ERANGE);
	assert_int_equal(comp_ring_format(mem, size, CAP, DATA, UINT64_C(1) << 32), -EINVAL);
	assert_int_equal(comp_ring_format(mem, size, CAP, DATA, 0), 0);
	free(mem);
}

static void format_fills_the_free_queue(void **s)
{
	(void)s;
	struct fixture f;
	struct comp_ring_desc d[CAP + 1];

	setup_ring(&f, 256);
	assert_int_equal(comp_ring_in_count(&f.prod), CAP);
	assert_int_equal(comp_ring_out_space(&f.cons), 0);
	assert_int_equal(comp_ring_dequeue_batch(&f.prod, d, CAP + 1, 0), CAP);
	for (unsigned i = 0; i < CAP; i++) {
		assert_int_equal(d[i].offset, i * 256);
		assert_int_equal(d[i].len, 256);
		assert_int_equal(d[i].cookie, i);
		assert_ptr_equal(comp_ring_buf(&f.prod, &d[i]),
				 (char *)comp_ring_data(&f.prod) + i * 256);
	}
	assert_int_equal(comp_ring_data_size(&f.prod), DATA);
	assert_int_equal(comp_ring_capacity(&f.cons), CAP);
	teardown_ring(&f);

	/* fewer buffers than slots: as many as the data holds */
	setup_ring(&f, DATA / 3);
	assert_int_equal(comp_ring_in_count(&f.prod), 3);
	teardown_ring(&f);
}

static void attach_errors(void **s)
{
	(void)s;
	struct comp_ring r;
	struct comp_ring_channel ch = {count_signal, &(int){0}, NULL, NULL, 0};
	struct comp_ring_channel nosig = {NULL, NULL, NULL, NULL, 0};
	size_t size = comp_ring_size(CAP, DATA);
	void *mem = alloc_mem(size);
	struct comp_ring_desc d = D(0, 0, 0);
	struct comp_ring_stats st;

	/* never formatted */
	assert_int_equal(comp_ring_attach(&r, mem, size, COMP_RING_PRODUCER, 0, &ch), -EBADMSG);
	assert_int_equal(comp_ring_format(mem, size, CAP, DATA, 0), 0);
	assert_int_equal(comp_ring_attach(NULL, mem, size, COMP_RING_PRODUCER, 0, &ch), -EINVAL);
	assert_int_equal(comp_ring_attach(&r, NULL, size, COMP_RING_PRODUCER, 0, &ch), -EINVAL);
	assert_int_equal(comp_ring_attach(&r, mem, size, 0, 0, &ch), -EINVAL);
	assert_int_equal(comp_ring_attach(&r, mem, size, COMP_RING_PRODUCER, 0, NULL), -EINVAL);
	assert_int_equal(comp_ring_attach(&r, mem, size, COMP_RING_PRODUCER, 0, &nosig), -EINVAL);
	/* the mapping is smaller than the ring */
	assert_int_equal(comp_ring_attach(&r, mem, size - 1, COMP_RING_PRODUCER, 0, &ch), -EBADMSG);
	assert_int_equal(comp_ring_attach(&r, mem, 8, COMP_RING_PRODUCER, 0, &ch), -EBADMSG);
	/* another geometry than the caller expects */
	assert_int_equal(comp_ring_attach(&r, mem, size, COMP_RING_PRODUCER, CAP * 2, &ch), -ERANGE);
	/* a header that lies */
	struct comp_ring_header *h = mem;
	h->version = 2;
	assert_int_equal(comp_ring_attach(&r, mem, size, COMP_RING_PRODUCER, 0, &ch), -EBADMSG);
	h->version = COMP_RING_VERSION;
	h->capacity = 6;
	assert_int_equal(comp_ring_attach(&r, mem, size, COMP_RING_PRODUCER, 0, &ch), -EBADMSG);
	h->capacity = CAP;
	h->data_size = size; /* data beyond the mapping */
	assert_int_equal(comp_ring_attach(&r, mem, size, COMP_RING_PRODUCER, 0, &ch), -EBADMSG);
	h->data_size = DATA;
	h->data_off += COMP_RING_PAGE;
	assert_int_equal(comp_ring_attach(&r, mem, size, COMP_RING_PRODUCER, 0, &ch), -EBADMSG);
	h->data_off -= COMP_RING_PAGE;
	/* impossible indices already */
	struct comp_ring_ctl *active = (struct comp_ring_ctl *)((char *)mem + COMP_RING_PAGE);
	atomic_store(&active->tail, CAP + 1);
	assert_int_equal(comp_ring_attach(&r, mem, size, COMP_RING_PRODUCER, 0, &ch), -EPROTO);
	assert_int_equal(comp_ring_attach(&r, mem, size, COMP_RING_CONSUMER, 0, &ch), -EPROTO);
	atomic_store(&active->tail, 0);

	/* a handle that was never attached, or detached */
	memset(&r, 0, sizeof(r));
	assert_int_equal(comp_ring_enqueue(&r, &d, 0), -EBADF);
	assert_int_equal(comp_ring_dequeue(&r, &d, 0), -EBADF);
	assert_int_equal(comp_ring_notify(&r), -EBADF);
	assert_int_equal(comp_ring_want_data(&r), -EBADF);
	assert_int_equal(comp_ring_get_stats(&r, &st), -EBADF);
	assert_int_equal(comp_ring_capacity(&r), 0);
	assert_null(comp_ring_data(&r));
	assert_int_equal(comp_ring_attach(&r, mem, size, COMP_RING_CONSUMER, CAP, &ch), 0);
	assert_int_equal(comp_ring_detach(&r), 0);
	assert_int_equal(comp_ring_detach(&r), -EBADF);
	assert_int_equal(comp_ring_in_count(&r), -EBADF);
	assert_int_equal(comp_ring_enqueue(NULL, &d, 0), -EINVAL);
	assert_int_equal(comp_ring_get_stats(NULL, &st), -EINVAL);
	free(mem);
}

/* ---- transfers ---- */

static void fifo_across_wraparound(void **s)
{
	(void)s;
	struct fixture f;
	struct comp_ring_desc d;
	uint32_t next_in = 0, next_out = 0;

	setup_ring(&f, 0);
	assert_int_equal(comp_ring_dequeue(&f.cons, &d, 0), -EAGAIN);
	/* fill and drain by uneven amounts, many times round */
	for (int round = 0; round < 1000; round++) {
		int put = 1 + round % (int)CAP, got = 1 + (round * 7) % (int)CAP;
		for (int i = 0; i < put; i++) {
			int r = comp_ring_enqueue(&f.prod, &(struct comp_ring_desc){next_in % DATA, 1, next_in}, 0);
			if (r == -EAGAIN) {
				assert_int_equal(comp_ring_out_space(&f.prod), 0);
				break;
			}
			assert_int_equal(r, 0);
			next_in++;
		}
		for (int i = 0; i < got; i++) {
			int r = comp_ring_dequeue(&f.cons, &d, 0);
			if (r == -EAGAIN) {
				assert_int_equal(next_in, next_out);
				break;
			}
			assert_int_equal(r, 0);
			assert_int_equal(d.cookie, next_out);
			assert_int_equal(d.offset, next_out % DATA);
			next_out++;
		}
		assert_int_equal(comp_ring_in_count(&f.cons), next_in - next_out);
		assert_int_equal(comp_ring_out_space(&f.prod), CAP - (next_in - next_out));
	}
	assert_true(next_in > 10 * CAP);
	/* full: exactly CAP */
	while (comp_ring_dequeue(&f.cons, &d, 0) == 0)
		assert_int_equal(d.cookie, next_out++);
	assert_int_equal(next_out, next_in);
	for (unsigned i = 0; i < CAP; i++)
		assert_int_equal(comp_ring_enqueue(&f.prod, &D(0, 0, i), 0), 0);
	assert_int_equal(comp_ring_enqueue(&f.prod, &D(0, 0, 99), 0), -EAGAIN);
	struct comp_ring_stats st;
	assert_int_equal(comp_ring_get_stats(&f.prod, &st), 0);
	assert_int_equal(st.enqueued, next_in + CAP);
	assert_int_equal(comp_ring_get_stats(&f.cons, &st), 0);
	assert_int_equal(st.dequeued, next_out);
	assert_int_equal(comp_ring_get_stats(&f.cons, NULL), -EINVAL);
	teardown_ring(&f);
}

static void batches(void **s)
{
	(void)s;
	struct fixture f;
	struct comp_ring_desc in[3 * CAP], out[3 * CAP];

	setup_ring(&f, 0);
	for (unsigned i = 0; i < 3 * CAP; i++)
		in[i] = D(i, 1, i);
	assert_int_equal(comp_ring_enqueue_batch(&f.prod, in, 0, 0), 0);
	assert_int_equal(comp_ring_enqueue_batch(&f.prod, NULL, 1, 0), -EINVAL);
	assert_int_equal(comp_ring_enqueue_batch(&f.prod, in, 1, 0x100), -EINVAL);
	assert_int_equal(comp_ring_dequeue_batch(&f.cons, out, 4, 0), -EAGAIN);
	/* as many as fit */
	assert_int_equal(comp_ring_enqueue_batch(&f.prod, in, 3, 0), 3);
	assert_int_equal(comp_ring_enqueue_batch(&f.prod, in + 3, 3 * CAP, 0), CAP - 3);
	assert_int_equal(comp_ring_enqueue_batch(&f.prod, in, 1, 0), -EAGAIN);
	/* up to n */
	assert_int_equal(comp_ring_dequeue_batch(&f.cons, out, 0, 0), 0);
	assert_int_equal(comp_ring_dequeue_batch(&f.cons, NULL, 2, 0), -EINVAL);
	assert_int_equal(comp_ring_dequeue_batch(&f.cons, out, 5, 0), 5);
	assert_int_equal(comp_ring_dequeue_batch(&f.cons, out + 5, 3 * CAP, 0), CAP - 5);
	for (unsigned i = 0; i < CAP; i++)
		assert_int_equal(out[i].cookie, i);
	/* a batch that wraps round the end of the ring */
	assert_int_equal(comp_ring_enqueue_batch(&f.prod, in, CAP, 0), CAP);
	assert_int_equal(comp_ring_dequeue_batch(&f.cons, out, CAP, 0), CAP);
	for (unsigned i = 0; i < CAP; i++)
		assert_int_equal(out[i].cookie, i);
	/* a bad descriptor in the caller's own batch stops it before it */
	in[2] = D(DATA, 1, 2);
	assert_int_equal(comp_ring_enqueue_batch(&f.prod, in, 4, 0), 2);
	assert_int_equal(comp_ring_enqueue_batch(&f.prod, in + 2, 2, 0), -EBADMSG);
	assert_int_equal(comp_ring_enqueue(&f.prod, &D(0, DATA + 1, 0), 0), -EBADMSG);
	assert_int_equal(comp_ring_enqueue(&f.prod, &D(DATA, 0, 7), 0), 0); /* empty at the end: fine */
	assert_int_equal(comp_ring_in_count(&f.cons), 3);
	teardown_ring(&f);
}

/* ---- signal suppression ---- */

static void signals_only_when_asked(void **s)
{
	(void)s;
	struct fixture f;
	struct comp_ring_desc d[CAP];

	setup_ring(&f, 0);
	/* nobody asked: no signal however much is transferred */
	for (int i = 0; i < 100; i++) {
		assert_int_equal(comp_ring_enqueue(&f.prod, &D(0, 0, 0), 0), 0);
		assert_int_equal(comp_ring_dequeue(&f.cons, d, 0), 0);
	}
	assert_int_equal(f.psig + f.csig, 0);
	/* the consumer is going to sleep: the next enqueue signals, once */
	assert_int_equal(comp_ring_want_data(&f.cons), 1);
	assert_int_equal(atomic_load(&f.active->consumer_wants), 1);
	assert_int_equal(comp_ring_enqueue(&f.prod, &D(0, 0, 0), 0), 0);
	assert_int_equal(f.psig, 1);
	assert_int_equal(atomic_load(&f.active->consumer_wants), 0);
	assert_int_equal(comp_ring_enqueue(&f.prod, &D(0, 0, 0), 0), 0);
	assert_int_equal(f.psig, 1);
	/* not empty: the request is not left in place */
	assert_int_equal(comp_ring_want_data(&f.cons), 0);
	assert_int_equal(atomic_load(&f.active->consumer_wants), 0);
	assert_int_equal(comp_ring_dequeue_batch(&f.cons, d, CAP, 0), 2);
	/* deferred: one signal at notify, none at the enqueues */
	assert_int_equal(comp_ring_want_data(&f.cons), 1);
	for (int i = 0; i < 3; i++)
		assert_int_equal(comp_ring_enqueue(&f.prod, &D(0, 0, 0), COMP_RING_DEFER), 0);
	assert_int_equal(f.psig, 1);
	assert_int_equal(comp_ring_notify(&f.prod), 0);
	assert_int_equal(f.psig, 2);
	assert_int_equal(comp_ring_notify(&f.prod), 0);
	assert_int_equal(f.psig, 2);
	assert_int_equal(comp_ring_dequeue_batch(&f.cons, d, CAP, 0), 3);

	/* back-pressure: the producer waits for space, a dequeue signals it */
	for (unsigned i = 0; i < CAP; i++)
		assert_int_equal(comp_ring_enqueue(&f.prod, &D(0, 0, i), 0), 0);
	assert_int_equal(comp_ring_want_space(&f.prod), 1);
	assert_int_equal(atomic_load(&f.active->producer_wants), 1);
	assert_int_equal(comp_ring_dequeue(&f.cons, d, COMP_RING_DEFER), 0);
	assert_int_equal(f.csig, 0);
	/* a side about to go quiet sends what it deferred */
	assert_int_equal(comp_ring_dequeue_batch(&f.cons, d, CAP, COMP_RING_DEFER), CAP - 1);
	assert_int_equal(comp_ring_want_data(&f.cons), 1);
	assert_int_equal(f.csig, 1);
	assert_int_equal(comp_ring_want_space(&f.prod), 0);
	assert_int_equal(atomic_load(&f.active->producer_wants), 0);
	/* a flag with garbage from a hostile or confused peer counts as a
	 * request: one signal, and it is cleared */
	atomic_store(&f.active->consumer_wants, 0xdeadbeef);
	assert_int_equal(comp_ring_enqueue(&f.prod, &D(0, 0, 0), 0), 0);
	assert_int_equal(comp_ring_enqueue(&f.prod, &D(0, 0, 0), 0), 0);
	assert_int_equal(f.psig, 3);
	assert_int_equal(atomic_load(&f.active->consumer_wants), 0);
	teardown_ring(&f);
}

static int failing_signal(void *ctx)
{
	(void)ctx;
	return -EPIPE;
}

static void channel_errors(void **s)
{
	(void)s;
	struct fixture f;
	struct comp_ring_desc d;
	struct comp_ring_channel bad = {failing_signal, NULL, NULL, NULL, 0};
	struct mk_notification n;
	struct comp_ring_notification mine;

	setup_ring(&f, 0);
	/* no wait function: blocking is refused */
	assert_int_equal(comp_ring_dequeue(&f.cons, &d, COMP_RING_WAIT), -EOPNOTSUPP);
	assert_int_equal(comp_ring_wait_until(&f.cons, COMP_RING_DATA, MK_FOREVER), -EOPNOTSUPP);
	assert_int_equal(comp_ring_wait_until(&f.cons, 3, MK_FOREVER), -EINVAL);
	/* a signal that fails: the descriptor went, the error comes back */
	comp_ring_detach(&f.prod);
	assert_int_equal(comp_ring_attach(&f.prod, f.mem, f.size, COMP_RING_PRODUCER, 0, &bad), 0);
	assert_int_equal(comp_ring_want_data(&f.cons), 1);
	assert_int_equal(comp_ring_enqueue(&f.prod, &D(0, 0, 42), 0), -EPIPE);
	assert_int_equal(comp_ring_dequeue(&f.cons, &d, 0), 0);
	assert_int_equal(d.cookie, 42);
	/* a timed wait on a notification */
	assert_int_equal(mk_notification_init(&n, 0), 0);
	mine = (struct comp_ring_notification){&n, 0x4, 0};
	struct comp_ring_channel cc = {count_signal, &f.csig, comp_ring_notification_wait, &mine, 0};
	comp_ring_detach(&f.cons);
	assert_int_equal(comp_ring_attach(&f.cons, f.mem, f.size, COMP_RING_CONSUMER, 0, &cc), 0);
	assert_int_equal(comp_ring_wait_until(&f.cons, COMP_RING_DATA, rb_deadline(2000000)),
			 -ETIMEDOUT);
	assert_int_equal(atomic_load(&f.active->consumer_wants), 0);
	assert_int_equal(comp_ring_wait_until(&f.cons, COMP_RING_SPACE, 0), 0); /* free queue empty */
	/* polling first changes neither the timeout nor the flag */
	cc.spin_ns = 500000;
	comp_ring_detach(&f.cons);
	assert_int_equal(comp_ring_attach(&f.cons, f.mem, f.size, COMP_RING_CONSUMER, 0, &cc), 0);
	uint64_t t0 = mk_clock_now_ns();
	assert_int_equal(comp_ring_wait_until(&f.cons, COMP_RING_DATA, rb_deadline(2000000)),
			 -ETIMEDOUT);
	assert_true(mk_clock_now_ns() - t0 >= 2000000);
	assert_int_equal(atomic_load(&f.active->consumer_wants), 0);
	assert_int_equal(comp_ring_enqueue(&f.prod, &D(0, 0, 43), COMP_RING_DEFER), 0);
	assert_int_equal(comp_ring_wait_until(&f.cons, COMP_RING_DATA, MK_FOREVER), 0);
	assert_int_equal(comp_ring_dequeue(&f.cons, &d, 0), 0);
	assert_int_equal(d.cookie, 43);
	/* other bits of the notification are kept for their owner */
	mk_notification_signal(&n, 0x1 | 0x4);
	assert_int_equal(comp_ring_notification_wait(&mine, MK_FOREVER), 0);
	assert_int_equal(mine.stray, 0x1);
	mk_notification_signal(&n, 0x2);
	assert_int_equal(comp_ring_notification_wait(&mine, rb_deadline(1000000)), -ETIMEDOUT);
	assert_int_equal(mine.stray, 0x3);
	assert_int_equal(comp_ring_notification_wait(NULL, 0), -EINVAL);
	teardown_ring(&f);
	mk_notification_destroy(&n);
}

/* ---- a hostile producer ---- */

static void hostile_descriptors_are_refused(void **s)
{
	(void)s;
	struct fixture f;
	struct comp_ring_desc d[4];
	const struct comp_ring_desc bad[] = {
		{DATA + 1, 0, 1},		   /* starts past the end */
		{DATA - 4, 5, 2},		   /* ends past the end */
		{UINT64_MAX - 2, 10, 3},	   /* offset + len wraps round */
		{UINT64_MAX, UINT32_MAX, 4},	   /* both at their maximum */
		{DATA / 2, UINT32_MAX, 5},	   /* len alone too big */
	};
	struct comp_ring_stats st;

	setup_ring(&f, 0);
	for (unsigned b = 0; b < sizeof(bad) / sizeof(bad[0]); b++) {
		/* the peer writes a slot and its tail by hand */
		uint32_t t = atomic_load(&f.active->tail);
		f.adesc[t % CAP] = bad[b];
		f.adesc[(t + 1) % CAP] = D(16, 16, 100 + b);
		atomic_store(&f.active->tail, t + 2);
		d[0] = D(7, 7, 7);
		assert_int_equal(comp_ring_dequeue(&f.cons, &d[0], 0), -EBADMSG);
		assert_int_equal(d[0].cookie, 7); /* untouched */
		assert_int_equal(comp_ring_dequeue(&f.cons, &d[0], 0), 0);
		assert_int_equal(d[0].cookie, 100 + b);
		assert_null(comp_ring_buf(&f.cons, &bad[b]));
	}
	/* in a batch: the good ones first, then the refusal */
	uint32_t t = atomic_load(&f.active->tail);
	f.adesc[t % CAP] = D(0, 1, 1);
	f.adesc[(t + 1) % CAP] = D(1, 1, 2);
	f.adesc[(t + 2) % CAP] = bad[0];
	f.adesc[(t + 3) % CAP] = D(3, 1, 4);
	atomic_store(&f.active->tail, t + 4);
	assert_int_equal(comp_ring_dequeue_batch(&f.cons, d, 4, 0), 2);
	assert_int_equal(comp_ring_dequeue_batch(&f.cons, d, 4, 0), -EBADMSG);
	assert_int_equal(comp_ring_dequeue_batch(&f.cons, d, 4, 0), 1);
	assert_int_equal(d[0].cookie, 4);
	assert_int_equal(comp_ring_get_stats(&f.cons, &st), 0);
	assert_int_equal(st.bad, 6);
	assert_int_equal(st.dequeued, 5 + 3);
	teardown_ring(&f);
}

static void hostile_indices_are_refused(void **s)
{
	(void)s;
	struct fixture f;
	struct comp_ring_desc d;
	struct comp_ring_stats st;

	setup_ring(&f, 0);
	/* the producer claims more than the ring holds */
	atomic_store(&f.active->tail, CAP + 1);
	assert_int_equal(comp_ring_dequeue(&f.cons, &d, 0), -EPROTO);
	assert_int_equal(comp_ring_in_count(&f.cons), -EPROTO);
	assert_int_equal(comp_ring_want_data(&f.cons), -EPROTO);
	assert_int_equal(atomic_load(&f.active->consumer_wants), 0);
	/* or moves its tail backwards */
	atomic_store(&f.active->tail, UINT32_MAX);
	assert_int_equal(comp_ring_dequeue(&f.cons, &d, 0), -EPROTO);
	/* back to sense: the ring works again */
	atomic_store(&f.active->tail, 0);
	assert_int_equal(comp_ring_enqueue(&f.prod, &D(0, 0, 5), 0), 0);
	assert_int_equal(comp_ring_dequeue(&f.cons, &d, 0), 0);
	assert_int_equal(d.cookie, 5);
	/* the consumer's own head in shared memory is only written, never
	 * trusted: scribbling on it does not make it repeat a slot */
	atomic_store(&f.active->head, 0);
	assert_int_equal(comp_ring_dequeue(&f.cons, &d, 0), -EAGAIN);
	/* the consumer moves its head past the tail: the producer refuses
	 * as soon as it reads it (it reads the head only when its cached
	 * view of the ring says full: at most CAP enqueues later) */
	atomic_store(&f.active->head, atomic_load(&f.active->tail) + 100);
	assert_int_equal(comp_ring_out_space(&f.prod), -EPROTO);
	assert_int_equal(comp_ring_want_space(&f.prod), -EPROTO);
	int r = 0, ok = 0;
	for (unsigned i = 0; i <= CAP && (r = comp_ring_enqueue(&f.prod, &D(0, 0, i), 0)) == 0; i++)
		ok++;
	assert_int_equal(r, -EPROTO);
	assert_true(ok < (int)CAP);
	assert_int_equal(comp_ring_get_stats(&f.prod, &st), 0);
	assert_true(st.protocol >= 3);
	/* the header changed after attach: the handles do not read it again */
	((struct comp_ring_header *)f.mem)->capacity = 1u << 30;
	((struct comp_ring_header *)f.mem)->data_size = UINT64_MAX;
	assert_int_equal(comp_ring_capacity(&f.cons), CAP);
	assert_null(comp_ring_buf(&f.cons, &D(DATA, 1, 0)));
	teardown_ring(&f);
}

/* Random writes over everything the peer may write (indices, flags,
 * descriptors, the header) between calls of both sides: every call
 * returns a documented code, every descriptor handed out lies inside the
 * data region, nothing crashes (the sanitizer builds check the accesses). */
static void random_scribbles_never_crash(void **s)
{
	(void)s;
	struct fixture f;
	struct comp_ring_desc d[CAP];
	uint64_t x = 88172645463325252ull;
	uint32_t *words;
	size_t nwords;

	setup_ring(&f, 128);
	memset(d, 0, sizeof(d));
	words = (uint32_t *)f.mem;
	nwords = (size_t)((char *)comp_ring_data(&f.cons) - (char *)f.mem) / 4;
	for (int it = 0; it < RB_SCALE(200000); it++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		uint64_t v = x;
		/* mostly indices and flags, sometimes anything */
		switch (v % 8) {
		case 0: atomic_store(&f.active->tail, (uint32_t)(v >> 8) % (3 * CAP)); break;
		case 1: atomic_store(&f.freeq->head, (uint32_t)(v >> 8)); break;
		case 2: atomic_store(&f.active->consumer_wants, (uint32_t)(v >> 40)); break;
		case 3: f.adesc[(v >> 8) % CAP] = D(v >> 20, (uint32_t)(v >> 3), 0); break;
		case 4: words[(v >> 8) % nwords] = (uint32_t)(v >> 32); break;
		default: break;
		}
		int r;
		switch ((v >> 60) % 6) {
		case 0:
			r = comp_ring_dequeue_batch(&f.cons, d, 1 + (unsigned)(v >> 50) % CAP, 0);
			assert_true(r > 0 || r == -EAGAIN || r == -EBADMSG || r == -EPROTO);
			for (int i = 0; i < r; i++) {
				assert_true(d[i].offset <= DATA && d[i].len <= DATA - d[i].offset);
				assert_non_null(comp_ring_buf(&f.cons, &d[i]));
			}
			break;
		case 1:
			r = comp_ring_enqueue_batch(&f.cons, d, 1 + (unsigned)(v >> 50) % 4, 0);
			(void)r; /* d may hold anything from an earlier round */
			break;
		case 2:
			r = comp_ring_want_data(&f.cons);
			assert_true(r == 0 || r == 1 || r == -EPROTO);
			break;
		case 3:
			r = comp_ring_dequeue(&f.prod, d, 0);
			assert_true(r == 0 || r == -EAGAIN || r == -EBADMSG || r == -EPROTO);
			if (r == 0)
				assert_non_null(comp_ring_buf(&f.prod, d));
			break;
		case 4:
			r = comp_ring_want_space(&f.prod);
			assert_true(r == 0 || r == 1 || r == -EPROTO);
			break;
		default:
			r = comp_ring_enqueue(&f.prod, &D(v % DATA, 0, 0), 0);
			assert_true(r == 0 || r == -EAGAIN || r == -EPROTO);
			break;
		}
	}
	/* the handles never re-read the header: still what attach saw */
	assert_int_equal(comp_ring_capacity(&f.cons), CAP);
	assert_int_equal(comp_ring_data_size(&f.prod), DATA);
	teardown_ring(&f);
}

/* ---- back-pressure, wait mode, with a partner thread ---- */

struct bp {
	struct fixture f;
	struct mk_notification pn, cn; /* each side's notification */
	struct comp_ring_notification psig, pwait, csig, cwait;
	uint64_t count;
	_Atomic int bad;
};

static void *slow_consumer(void *p)
{
	struct bp *b = p;
	struct comp_ring_desc d;

	for (uint64_t i = 0; i < b->count; i++) {
		if (i % 64 == 0)
			rb_sleep_ms(1); /* the producer fills the ring meanwhile */
		if (comp_ring_dequeue(&b->f.cons, &d, COMP_RING_WAIT) != 0 || d.cookie != i)
			atomic_store(&b->bad, 1);
	}
	return NULL;
}

static void backpressure_waits_for_space(void **s)
{
	(void)s;
	static struct bp b;
	struct mk_thread *t;
	struct comp_ring_desc d[CAP * 3];
	struct comp_ring_stats st;
	uint64_t next = 0;

	setup_ring(&b.f, 0);
	mk_notification_init(&b.pn, 0);
	mk_notification_init(&b.cn, 0);
	b.psig = (struct comp_ring_notification){&b.cn, 1, 0}; /* producer signals consumer */
	b.pwait = (struct comp_ring_notification){&b.pn, 1, 0};
	b.csig = (struct comp_ring_notification){&b.pn, 1, 0};
	b.cwait = (struct comp_ring_notification){&b.cn, 1, 0};
	struct comp_ring_channel pc = {comp_ring_notification_signal, &b.psig,
				       comp_ring_notification_wait, &b.pwait, 0};
	struct comp_ring_channel cc = {comp_ring_notification_signal, &b.csig,
				       comp_ring_notification_wait, &b.cwait, 0};
	comp_ring_detach(&b.f.prod);
	comp_ring_detach(&b.f.cons);
	assert_int_equal(comp_ring_attach(&b.f.prod, b.f.mem, b.f.size, COMP_RING_PRODUCER, 0, &pc), 0);
	assert_int_equal(comp_ring_attach(&b.f.cons, b.f.mem, b.f.size, COMP_RING_CONSUMER, 0, &cc), 0);
	b.count = 1024;
	atomic_store(&b.bad, 0);
	assert_int_equal(mk_thread_create(&t, "slow-consumer", slow_consumer, &b), 0);
	/* single enqueues and batches larger than the ring, all with WAIT */
	while (next < b.count) {
		if (next % 2 == 0) {
			assert_int_equal(comp_ring_enqueue(&b.f.prod, &D(0, 0, (uint32_t)next), COMP_RING_WAIT), 0);
			next++;
			continue;
		}
		unsigned n = b.count - next < CAP * 3 ? (unsigned)(b.count - next) : CAP * 3;
		for (unsigned i = 0; i < n; i++)
			d[i] = D(0, 0, (uint32_t)(next + i));
		assert_int_equal(comp_ring_enqueue_batch(&b.f.prod, d, n, COMP_RING_WAIT), (int)n);
		next += n;
	}
	assert_int_equal(mk_thread_join(t, NULL), 0);
	assert_int_equal(atomic_load(&b.bad), 0);
	assert_int_equal(comp_ring_get_stats(&b.f.prod, &st), 0);
	assert_true(st.waits > 0); /* it did meet a full ring */
	teardown_ring(&b.f);
	mk_notification_destroy(&b.pn);
	mk_notification_destroy(&b.cn);
}

/* ---- a green thread waiting on a ring does not hold its vCPU ---- */

struct gw {
	struct fixture f;
	struct dom *d;
	struct comp_ring_dom_event pev, cev;
	_Atomic int ran; /* the other green thread ran while the consumer waited */
	uint32_t got;
};

static void *green_consumer(void *p)
{
	struct gw *g = p;
	struct comp_ring_desc d;

	for (int i = 0; i < 3; i++) {
		if (comp_ring_dequeue(&g->f.cons, &d, COMP_RING_WAIT) != 0)
			return NULL;
		g->got += d.cookie;
	}
	return p;
}

static void *green_producer(void *p)
{
	struct gw *g = p;

	for (uint32_t i = 1; i <= 3; i++) {
		atomic_fetch_add(&g->ran, 1);
		dom_sleep_ns(1000000); /* the consumer is asleep by now */
		if (comp_ring_enqueue(&g->f.prod, &D(0, 0, i), 0) != 0)
			return NULL;
	}
	return p;
}

static void green_wait_keeps_the_vcpu_running(void **s)
{
	(void)s;
	static struct gw g;
	struct dom_config c = {.name = "ringwait", .vcpus = 1};
	struct dom_thread *ct, *pt;
	void *rc, *rp;

	setup_ring(&g.f, 0);
	assert_int_equal(dom_create(&g.d, &c), 0);
	g.pev = (struct comp_ring_dom_event){g.d, 0x1};
	g.cev = (struct comp_ring_dom_event){g.d, 0x2};
	struct comp_ring_channel pc = {comp_ring_dom_signal, &g.cev, comp_ring_dom_wait, &g.pev, 0};
	struct comp_ring_channel cc = {comp_ring_dom_signal, &g.pev, comp_ring_dom_wait, &g.cev, 0};
	comp_ring_detach(&g.f.prod);
	comp_ring_detach(&g.f.cons);
	assert_int_equal(comp_ring_attach(&g.f.prod, g.f.mem, g.f.size, COMP_RING_PRODUCER, 0, &pc), 0);
	assert_int_equal(comp_ring_attach(&g.f.cons, g.f.mem, g.f.size, COMP_RING_CONSUMER, 0, &cc), 0);
	/* one vCPU: if the waiting consumer held it, the producer never ran */
	assert_int_equal(dom_thread_create(g.d, &ct, NULL, green_consumer, &g), 0);
	assert_int_equal(dom_thread_create(g.d, &pt, NULL, green_producer, &g), 0);
	assert_int_equal(dom_enter(g.d), 0);
	assert_int_equal(dom_thread_join(pt, &rp), 0);
	assert_int_equal(dom_thread_join(ct, &rc), 0);
	assert_int_equal(dom_leave(g.d), 0);
	assert_ptr_equal(rp, &g);
	assert_ptr_equal(rc, &g);
	assert_int_equal(g.got, 1 + 2 + 3);
	assert_int_equal(atomic_load(&g.ran), 3);
	struct comp_ring_stats st;
	assert_int_equal(comp_ring_get_stats(&g.f.cons, &st), 0);
	assert_true(st.waits >= 1);
	/* from a thread outside the domain the dom wait is refused */
	assert_int_equal(comp_ring_dequeue(&g.f.cons, &(struct comp_ring_desc){0}, COMP_RING_WAIT),
			 -EPERM);
	assert_int_equal(dom_destroy(g.d), 0);
	teardown_ring(&g.f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(layout_and_format_errors),
		cmocka_unit_test(format_fills_the_free_queue),
		cmocka_unit_test(attach_errors),
		cmocka_unit_test(fifo_across_wraparound),
		cmocka_unit_test(batches),
		cmocka_unit_test(signals_only_when_asked),
		cmocka_unit_test(channel_errors),
		cmocka_unit_test(hostile_descriptors_are_refused),
		cmocka_unit_test(hostile_indices_are_refused),
		cmocka_unit_test(random_scribbles_never_crash),
		cmocka_unit_test(backpressure_waits_for_space),
		cmocka_unit_test(green_wait_keeps_the_vcpu_running),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
