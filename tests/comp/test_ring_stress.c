/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * comp_ring under sustained load, with checksums: millions of messages
 * through the free/active queues (the producer takes a free buffer,
 * writes a message of varying length, puts it on the active queue; the
 * consumer checks every byte and the sequence, and gives the buffer back)
 * with random batch sizes and random deferred signals, between
 *   - two plain host threads (mk_notification waits);
 *   - two green threads of a domain (domain event waits);
 *   - a plain producer and a green consumer;
 *   - two processes over a memfd region, each mapping it at its own
 *     address (MK_SHARED notifications), with a plain or a green consumer;
 *   - a plain producer and a consumer in its own event loop (no wait
 *     function: a Microkit PD's notified());
 * and bare descriptors (no data) through a small ring, so that the
 * producer keeps meeting a full ring (back-pressure, waiting).  No sleep
 * of a side lasts longer than RB_HANG_NS: a side whose peer stopped on an
 * error fails the test instead of hanging it.
 * Each run prints the signals per message both sides sent; under load it
 * must stay well under one (docs/rings.md, "Signals under load").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rumpbridge/dom.h>
#include <rumpbridge/ring.h>

#include "rb_test.h"

#define BUF 64u
#define CAP 256u
#define MAXB 32u /* largest batch */

/* Deterministic bytes of message seq, and a hash both sides compute. */
static uint8_t msg_byte(uint64_t seq, uint32_t j)
{
	return (uint8_t)(seq * 131u + j * 7u + (seq >> 8));
}

static uint32_t msg_len(uint64_t seq)
{
	return 8u + (uint32_t)(seq * 2654435761u % (BUF - 8 + 1));
}

static uint64_t fnv(uint64_t h, uint8_t b)
{
	return (h ^ b) * 0x100000001b3ull;
}

static uint32_t rng_next(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

struct side_result {
	uint64_t hash;
	int err;	  /* first error, 0 if none */
	uint64_t at;	  /* message number of the error */
	struct comp_ring_stats st;
};

static unsigned rand_flags(uint32_t *x)
{
	return COMP_RING_WAIT | ((rng_next(x) & 3) == 0 ? COMP_RING_DEFER : 0);
}

/* Put the k descriptors of d back with random flags: 0, or the ring's
 * error (-EIO when it took fewer). */
static int enqueue_all(struct comp_ring *r, struct comp_ring_desc *d, int k, uint32_t *x)
{
	int e = comp_ring_enqueue_batch(r, d, (unsigned)k, rand_flags(x));

	return e == k ? 0 : e < 0 ? e : -EIO;
}

/* The end of a side's run: its error (0: none), hash, messages done and
 * the ring's counters into res. */
static void side_done(struct comp_ring *r, int e, uint64_t h, uint64_t seq, struct side_result *res)
{
	res->hash = h;
	res->err = e;
	res->at = seq;
	comp_ring_get_stats(r, &res->st);
}

static void produce(struct comp_ring *r, uint64_t count, uint32_t seed, struct side_result *res)
{
	struct comp_ring_desc d[MAXB];
	uint64_t seq = 0, h = 0xcbf29ce484222325ull;
	uint32_t x = seed;
	int k, e = 0;

	while (seq < count && e == 0) {
		unsigned want = 1 + rng_next(&x) % MAXB;
		if (want > count - seq)
			want = (unsigned)(count - seq);
		k = comp_ring_dequeue_batch(r, d, want, rand_flags(&x));
		if (k < 0) {
			e = k;
			break;
		}
		for (int i = 0; i < k; i++, seq++) {
			uint8_t *b = comp_ring_buf(r, &d[i]);
			uint32_t len = msg_len(seq);
			if (b == NULL || d[i].len != BUF) {
				e = -EFAULT;
				goto out;
			}
			memcpy(b, &seq, 8);
			for (uint32_t j = 0; j < 8; j++)
				h = fnv(h, b[j]);
			for (uint32_t j = 8; j < len; j++)
				h = fnv(h, b[j] = msg_byte(seq, j));
			d[i].len = len;
			d[i].cookie = (uint32_t)seq;
		}
		e = enqueue_all(r, d, k, &x);
	}
out:
	side_done(r, e == 0 ? comp_ring_notify(r) : e, h, seq, res);
}

static void consume(struct comp_ring *r, uint64_t count, uint32_t seed, struct side_result *res)
{
	struct comp_ring_desc d[MAXB];
	uint64_t seq = 0, h = 0xcbf29ce484222325ull, v;
	uint32_t x = seed;
	int k, e = 0;

	while (seq < count && e == 0) {
		k = comp_ring_dequeue_batch(r, d, 1 + rng_next(&x) % MAXB, rand_flags(&x));
		if (k < 0) {
			e = k;
			break;
		}
		for (int i = 0; i < k; i++, seq++) {
			const uint8_t *b = comp_ring_buf(r, &d[i]);
			if (b == NULL || d[i].cookie != (uint32_t)seq || d[i].len != msg_len(seq)) {
				e = -EBADMSG;
				goto out;
			}
			memcpy(&v, b, 8);
			if (v != seq) {
				e = -EILSEQ;
				goto out;
			}
			for (uint32_t j = 0; j < d[i].len; j++) {
				if (j >= 8 && b[j] != msg_byte(seq, j)) {
					e = -EILSEQ;
					goto out;
				}
				h = fnv(h, b[j]);
			}
			d[i].len = BUF; /* the whole buffer goes back */
		}
		e = enqueue_all(r, d, k, &x);
	}
out:
	side_done(r, e == 0 ? comp_ring_notify(r) : e, h, seq, res);
}

/* Bare descriptors: cookie = sequence number, no data. */
static void produce_bare(struct comp_ring *r, uint64_t count, uint32_t seed,
			 struct side_result *res)
{
	struct comp_ring_desc d[MAXB];
	uint64_t seq = 0;
	uint32_t x = seed;
	int e = 0;

	while (seq < count && e == 0) {
		unsigned n = 1 + rng_next(&x) % MAXB;
		if (n > count - seq)
			n = (unsigned)(count - seq);
		for (unsigned i = 0; i < n; i++)
			d[i] = (struct comp_ring_desc){0, 0, (uint32_t)(seq + i)};
		e = enqueue_all(r, d, (int)n, &x);
		seq += n;
	}
	side_done(r, e == 0 ? comp_ring_notify(r) : e, 0, seq, res);
}

static void consume_bare(struct comp_ring *r, uint64_t count, uint32_t seed,
			 struct side_result *res)
{
	struct comp_ring_desc d[MAXB];
	uint64_t seq = 0;
	uint32_t x = seed;
	int k = 0;

	while (seq < count) {
		k = comp_ring_dequeue_batch(r, d, 1 + rng_next(&x) % MAXB, rand_flags(&x));
		if (k < 0)
			break;
		for (int i = 0; i < k; i++, seq++)
			if (d[i].cookie != (uint32_t)seq) {
				k = -EILSEQ;
				goto out;
			}
	}
out:
	side_done(r, k < 0 ? k : comp_ring_notify(r), 0, seq, res);
}

/* ---- the set-up every configuration shares ---- */

/* A side's thread: a plain host thread, a green thread of a domain, or
 * (a consumer only) a plain thread in its own event loop, with no wait
 * function (event_loop_consumer below). */
enum kind { PLAIN, GREEN, EVENT_LOOP };

/* A side's wait, bounded: no single sleep lasts longer than RB_HANG_NS,
 * so a side whose peer has stopped (after an error of its own) ends with
 * -ETIMEDOUT and the test fails with both sides' errors instead of
 * sleeping for ever.  Under traffic a side sleeps microseconds. */
struct bounded_wait {
	int (*wait)(void *ctx, uint64_t deadline_ns);
	void *ctx;
};

static int bounded_wait(void *p, uint64_t deadline_ns)
{
	struct bounded_wait *b = p;
	uint64_t hang = rb_deadline(RB_HANG_NS);

	return b->wait(b->ctx, deadline_ns < hang ? deadline_ns : hang);
}

/* One configuration: its parameters, then what a run of it sets up. */
struct run {
	const char *name;
	enum kind pk, ck;	/* producer / consumer kind */
	int bare;		/* bare descriptors through a small ring */
	uint32_t spin_ns;	/* both sides poll this long before sleeping */
	uint64_t count;		/* messages */
	int processes;		/* the consumer in a child process (not EVENT_LOOP) */
	int must_wait;		/* a side must have slept at least once */
	void *mem;
	size_t size;
	struct comp_ring prod, cons;
	struct side_result pres, cres;
	/* plain ends: each side's own notification */
	struct mk_notification pn, cn;
	struct comp_ring_notification pwait, cwait, to_p, to_c;
	/* green ends: domain event bits */
	struct dom *d;
	struct comp_ring_dom_event pev, cev;
	struct bounded_wait pbw, cbw; /* each side's wait, bounded */
};

#define PBIT 0x1u /* producer's event bit */
#define CBIT 0x2u /* consumer's event bit */

static void channel_for(struct run *rn, int producer, struct comp_ring_channel *ch)
{
	enum kind self = producer ? rn->pk : rn->ck, peer = producer ? rn->ck : rn->pk;
	struct bounded_wait *b;

	/* how to signal the peer */
	if (peer == GREEN) {
		*ch = (struct comp_ring_channel){comp_ring_dom_signal,
						 producer ? &rn->cev : &rn->pev, NULL, NULL, 0};
	} else {
		*ch = (struct comp_ring_channel){comp_ring_notification_signal,
						 producer ? &rn->to_c : &rn->to_p, NULL, NULL, 0};
	}
	/* how to wait */
	if (self == GREEN) {
		ch->wait = comp_ring_dom_wait;
		ch->wait_ctx = producer ? &rn->pev : &rn->cev;
	} else {
		ch->wait = comp_ring_notification_wait;
		ch->wait_ctx = producer ? &rn->pwait : &rn->cwait;
	}
	b = producer ? &rn->pbw : &rn->cbw;
	*b = (struct bounded_wait){ch->wait, ch->wait_ctx};
	ch->wait = bounded_wait;
	ch->wait_ctx = b;
	ch->spin_ns = rn->spin_ns;
}

static void setup_ends(struct run *rn, struct mk_notification *pn, struct mk_notification *cn)
{
	rn->pwait = (struct comp_ring_notification){pn, 1, 0};
	rn->cwait = (struct comp_ring_notification){cn, 1, 0};
	rn->to_p = (struct comp_ring_notification){pn, 1, 0};
	rn->to_c = (struct comp_ring_notification){cn, 1, 0};
	rn->pev = (struct comp_ring_dom_event){rn->d, PBIT};
	rn->cev = (struct comp_ring_dom_event){rn->d, CBIT};
}

static void format_ring(struct run *rn, void *mem, size_t size)
{
	uint32_t cap = rn->bare ? 16 : CAP;

	assert_int_equal(comp_ring_format(mem, size, cap, rn->bare ? 0 : CAP * BUF,
					  rn->bare ? 0 : BUF), 0);
}

static size_t ring_bytes(const struct run *rn)
{
	return rn->bare ? comp_ring_size(16, 0) : comp_ring_size(CAP, CAP * BUF);
}

static void *producer_main(void *p)
{
	struct run *rn = p;

	if (rn->bare)
		produce_bare(&rn->prod, rn->count, 12345, &rn->pres);
	else
		produce(&rn->prod, rn->count, 12345, &rn->pres);
	return NULL;
}

static void *consumer_main(void *p)
{
	struct run *rn = p;

	if (rn->bare)
		consume_bare(&rn->cons, rn->count, 777, &rn->cres);
	else
		consume(&rn->cons, rn->count, 777, &rn->cres);
	return NULL;
}

static void report(const struct run *rn)
{
	const struct side_result *p = &rn->pres, *c = &rn->cres;
	uint64_t sig = p->st.signals + c->st.signals;

	if (p->err != 0 || c->err != 0)
		fail_msg("%s: producer error %d (%s) at %llu, consumer error %d (%s) at %llu",
			 rn->name, p->err, mk_strerror(p->err), (unsigned long long)p->at, c->err,
			 mk_strerror(c->err), (unsigned long long)c->at);
	print_message("%-26s %9llu msgs  signals %llu+%llu = %.4f/msg  sleeps %llu+%llu\n",
		      rn->name, (unsigned long long)rn->count, (unsigned long long)p->st.signals,
		      (unsigned long long)c->st.signals, (double)sig / (double)rn->count,
		      (unsigned long long)p->st.waits, (unsigned long long)c->st.waits);
	assert_int_equal(p->at, rn->count);
	assert_int_equal(c->at, rn->count);
	assert_int_equal(p->hash, c->hash);
	assert_int_equal(p->st.enqueued, rn->count);
	assert_int_equal(c->st.dequeued, rn->count);
	assert_int_equal(c->st.bad + p->st.bad + c->st.protocol + p->st.protocol, 0);
	/* No signal per message: a signal only when a side ran dry.  The
	 * bound is loose so a loaded machine does not fail it; the figures
	 * under load are in bench_comp (ring_signals_per_msg). */
	assert_true(sig <= rn->count / 2);
}

/* ---- an event-driven consumer: the notified() loop of docs/rings.md ---- */

/* The consumer has no wait function: it sleeps in its own event loop (a
 * Microkit PD's), and handles the ring in notified() with deferred
 * signals, returning to the loop only when want_data says a signal will
 * come. */
static void *event_loop_consumer(void *p)
{
	struct run *rn = p;
	struct comp_ring *r = &rn->cons;
	struct comp_ring_desc d[MAXB];
	uint64_t seq = 0, h = 0xcbf29ce484222325ull, v, w;
	int n, e = 0;

	while (seq < rn->count && e == 0) {
		/* the event loop: sleep until a channel is signalled */
		if ((e = mk_notification_wait_until(&rn->cn, rb_deadline(RB_HANG_NS), &w)) != 0)
			break;
		/* notified() */
		do {
			while ((n = comp_ring_dequeue_batch(r, d, MAXB, COMP_RING_DEFER)) > 0) {
				for (int i = 0; i < n; i++, seq++) {
					const uint8_t *b = comp_ring_buf(r, &d[i]);
					memcpy(&v, b, 8);
					if (v != seq || d[i].len != msg_len(seq)) {
						e = -EILSEQ;
						goto out;
					}
					for (uint32_t j = 0; j < d[i].len; j++)
						h = fnv(h, b[j]);
					d[i].len = BUF;
				}
				if (comp_ring_enqueue_batch(r, d, (unsigned)n, COMP_RING_DEFER) != n) {
					e = -EIO;
					goto out;
				}
			}
			if (n != -EAGAIN) {
				e = n;
				goto out;
			}
		} while ((n = comp_ring_want_data(r)) == 0);
		if (n < 0)
			e = n;
	}
out:
	side_done(r, e, h, seq, &rn->cres);
	return NULL;
}

/* Both sides in this process, as threads of their kinds. */
static void run_threads(struct run *rn)
{
	struct comp_ring_channel pc, cc;
	struct mk_thread *pt = NULL, *ct = NULL;
	struct dom_thread *pg = NULL, *cg = NULL;

	if (rn->pk == GREEN || rn->ck == GREEN) {
		struct dom_config c = {.name = "ring", .vcpus = 2};
		assert_int_equal(dom_create(&rn->d, &c), 0);
	}
	mk_notification_init(&rn->pn, 0);
	mk_notification_init(&rn->cn, 0);
	setup_ends(rn, &rn->pn, &rn->cn);
	rn->size = ring_bytes(rn);
	assert_int_equal(posix_memalign(&rn->mem, COMP_RING_PAGE, rn->size), 0);
	format_ring(rn, rn->mem, rn->size);
	channel_for(rn, 1, &pc);
	channel_for(rn, 0, &cc);
	if (rn->ck == EVENT_LOOP) {
		cc.wait = NULL; /* event-driven */
		cc.wait_ctx = NULL;
	}
	assert_int_equal(comp_ring_attach(&rn->prod, rn->mem, rn->size, COMP_RING_PRODUCER, 0, &pc), 0);
	assert_int_equal(comp_ring_attach(&rn->cons, rn->mem, rn->size, COMP_RING_CONSUMER, 0, &cc), 0);

	if (rn->ck == EVENT_LOOP) {
		/* A PD's first notified() comes from its init(): ask for data
		 * once.  With no wait function, a waiting dequeue is refused. */
		assert_int_equal(comp_ring_want_data(&rn->cons), 1);
		assert_int_equal(comp_ring_dequeue(&rn->cons, &(struct comp_ring_desc){0},
						   COMP_RING_WAIT),
				 -EOPNOTSUPP);
		assert_int_equal(mk_thread_create(&ct, "event-loop", event_loop_consumer, rn), 0);
	} else if (rn->ck == GREEN) {
		assert_int_equal(dom_thread_create(rn->d, &cg, NULL, consumer_main, rn), 0);
	} else {
		assert_int_equal(mk_thread_create(&ct, "consumer", consumer_main, rn), 0);
	}
	if (rn->pk == GREEN)
		assert_int_equal(dom_thread_create(rn->d, &pg, NULL, producer_main, rn), 0);
	else
		assert_int_equal(mk_thread_create(&pt, "producer", producer_main, rn), 0);
	if (rn->d != NULL)
		assert_int_equal(dom_enter(rn->d), 0);
	if (pg != NULL)
		assert_int_equal(dom_thread_join(pg, NULL), 0);
	if (cg != NULL)
		assert_int_equal(dom_thread_join(cg, NULL), 0);
	if (rn->d != NULL)
		assert_int_equal(dom_leave(rn->d), 0);
	if (pt != NULL)
		assert_int_equal(mk_thread_join(pt, NULL), 0);
	if (ct != NULL)
		assert_int_equal(mk_thread_join(ct, NULL), 0);
	report(rn);
	comp_ring_detach(&rn->prod);
	comp_ring_detach(&rn->cons);
	if (rn->d != NULL)
		assert_int_equal(dom_destroy(rn->d), 0);
	free(rn->mem);
}

/* ---- two processes ---- */

struct xshared {
	struct mk_notification pn, cn, irq; /* irq: the child's domain notification */
	struct side_result cres;
};

static void run_processes(struct run *rn)
{
	struct mk_region ring, ctl;
	struct xshared *x;
	struct comp_ring_channel pc;
	int status;

	rn->size = ring_bytes(rn);
	assert_int_equal(mk_region_create(&ring, "ring", rn->size), 0);
	assert_int_equal(mk_region_create(&ctl, "ring-ctl", sizeof(*x)), 0);
	assert_int_equal(mk_region_at(&ctl, 0, sizeof(*x), 64, (void **)&x), 0);
	mk_notification_init(&x->pn, MK_SHARED);
	mk_notification_init(&x->cn, MK_SHARED);
	mk_notification_init(&x->irq, MK_SHARED);
	format_ring(rn, ring.base, rn->size);

	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* The consumer maps the ring again, at another address. */
		struct mk_region mine;
		struct comp_ring_channel cc;
		struct dom_thread *g;

		if (mk_region_attach(&mine, ring.handle, rn->size) != 0 || mine.base == ring.base)
			_exit(3);
		rn->d = NULL;
		if (rn->ck == GREEN) {
			struct dom_config c = {.name = "ring-child", .vcpus = 2, .irq = &x->irq};
			if (dom_create(&rn->d, &c) != 0)
				_exit(4);
		}
		setup_ends(rn, &x->pn, &x->cn);
		channel_for(rn, 0, &cc);
		if (comp_ring_attach(&rn->cons, mine.base, rn->size, COMP_RING_CONSUMER, 0, &cc) != 0)
			_exit(5);
		if (rn->ck == GREEN) {
			if (dom_thread_create(rn->d, &g, NULL, consumer_main, rn) != 0 ||
			    dom_enter(rn->d) != 0 || dom_thread_join(g, NULL) != 0 ||
			    dom_leave(rn->d) != 0 || dom_destroy(rn->d) != 0)
				_exit(6);
		} else {
			consumer_main(rn);
		}
		x->cres = rn->cres;
		_exit(0);
	}
	/* The producer: a plain thread here; the green consumer's wake-up
	 * is a bit of its domain notification, signalled from this process. */
	rn->d = NULL;
	setup_ends(rn, &x->pn, &x->cn);
	rn->cev = (struct comp_ring_dom_event){NULL, CBIT};
	channel_for(rn, 1, &pc);
	static struct comp_ring_notification to_irq;
	if (rn->ck == GREEN) {
		to_irq = (struct comp_ring_notification){&x->irq, CBIT, 0};
		pc.signal = comp_ring_notification_signal;
		pc.signal_ctx = &to_irq;
	}
	assert_int_equal(comp_ring_attach(&rn->prod, ring.base, rn->size, COMP_RING_PRODUCER, 0, &pc), 0);
	producer_main(rn);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	rn->cres = x->cres;
	report(rn);
	comp_ring_detach(&rn->prod);
	mk_region_destroy(&ring);
	mk_region_destroy(&ctl);
}

/* ---- the configurations ---- */

/* Every configuration, run by run_config.  Counts are compile-time
 * constants (RB_SCALE). */
static struct run configs[] = {
	{.name = "plain -> plain", .pk = PLAIN, .ck = PLAIN, .count = RB_SCALE(4000000)},
	{.name = "plain -> plain, polling",
	 .pk = PLAIN,
	 .ck = PLAIN,
	 .spin_ns = 5000,
	 .count = RB_SCALE(4000000)},
	{.name = "green -> green", .pk = GREEN, .ck = GREEN, .count = RB_SCALE(2000000)},
	{.name = "green -> green, polling",
	 .pk = GREEN,
	 .ck = GREEN,
	 .spin_ns = 5000,
	 .count = RB_SCALE(2000000)},
	{.name = "plain -> green", .pk = PLAIN, .ck = GREEN, .count = RB_SCALE(2000000)},
	{.name = "green -> plain", .pk = GREEN, .ck = PLAIN, .count = RB_SCALE(2000000)},
	{.name = "plain -> event loop", .pk = PLAIN, .ck = EVENT_LOOP, .count = RB_SCALE(2000000)},
	{.name = "bare, 16 slots, plain",
	 .pk = PLAIN,
	 .ck = PLAIN,
	 .bare = 1,
	 .must_wait = 1,
	 .count = RB_SCALE(4000000)},
	{.name = "bare, 16 slots, polling",
	 .pk = PLAIN,
	 .ck = PLAIN,
	 .bare = 1,
	 .spin_ns = 5000,
	 .count = RB_SCALE(4000000)},
	{.name = "bare, 16 slots, green",
	 .pk = GREEN,
	 .ck = GREEN,
	 .bare = 1,
	 .count = RB_SCALE(2000000)},
	{.name = "process -> process",
	 .pk = PLAIN,
	 .ck = PLAIN,
	 .processes = 1,
	 .count = RB_SCALE(4000000)},
	{.name = "process -> process, polling",
	 .pk = PLAIN,
	 .ck = PLAIN,
	 .processes = 1,
	 .spin_ns = 5000,
	 .count = RB_SCALE(4000000)},
	{.name = "process -> green process",
	 .pk = PLAIN,
	 .ck = GREEN,
	 .processes = 1,
	 .count = RB_SCALE(2000000)},
	{.name = "process -> process, bare",
	 .pk = PLAIN,
	 .ck = PLAIN,
	 .processes = 1,
	 .bare = 1,
	 .count = RB_SCALE(4000000)},
};

#define NCONFIGS (sizeof(configs) / sizeof(configs[0]))

/* The one test: the configuration in *state, in threads or processes. */
static void run_config(void **state)
{
	struct run *rn = *state;

	if (rn->processes)
		run_processes(rn);
	else
		run_threads(rn);
	if (rn->must_wait)
		assert_true(rn->pres.st.waits > 0 || rn->cres.st.waits > 0);
}

int main(void)
{
	struct CMUnitTest tests[NCONFIGS];

	for (size_t i = 0; i < NCONFIGS; i++)
		tests[i] = (struct CMUnitTest){.name = configs[i].name,
					       .test_func = run_config,
					       .initial_state = &configs[i]};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
