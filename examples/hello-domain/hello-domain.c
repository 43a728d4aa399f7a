/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hello-domain: what rumpbridge is for, in one small program.
 *
 * A domain with a single vCPU (one host thread, as a rump kernel has under
 * rumprun) runs three green threads:
 *   waiter      blocks in dom_event_wait until HELLO_EVENT arrives;
 *   counter-1,  count turns and yield, and keep counting while the waiter
 *   counter-2   is blocked: a green thread waiting on an outside event
 *               does not stall the vCPU;
 * and two plain host threads (pthreads) take part:
 *   main        enters the domain to create and join the green threads
 *               (it blocks on its own notification, holding no vCPU);
 *   sender      enters the domain to watch the counters under the same
 *               dom_mutex the green threads use, then leaves it and raises
 *               the event the way a device callback would, from outside.
 *
 * Exit status 1 when the event was lost (the waiter gives up after 10 s)
 * or the counters did not advance while the waiter was blocked.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <rumpbridge/dom.h>

#define HELLO_EVENT UINT64_C(0x1) /* event bit 0 of the domain */
#define COUNTERS 2
#define ADVANCE 1000				   /* turns each counter makes while the waiter waits */
#define LIMIT_NS (UINT64_C(10) * 1000 * 1000 * 1000) /* turns a hang into a failure */

struct hello {
	struct dom *d;
	struct dom_mutex lock; /* guards the fields below */
	unsigned long count[COUNTERS];
	unsigned long at_wait[COUNTERS]; /* counts when the waiter blocked */
	unsigned long at_wake[COUNTERS]; /* counts when it woke */
	bool waiting;			 /* the waiter has blocked (or is about to) */
	bool stop;			 /* the waiter is done: counters stop */
	int wait_err;			 /* what dom_event_wait_until returned */
	uint64_t bits;			 /* the events it returned */
	uint64_t blocked_ns;		 /* how long it was blocked */
	bool sent;			 /* the sender raised the event */
};

static void *waiter(void *arg)
{
	struct hello *h = arg;
	uint64_t t0, bits = 0;
	int err;

	dom_mutex_enter(&h->lock);
	memcpy(h->at_wait, h->count, sizeof(h->count));
	h->waiting = true;
	dom_mutex_exit(&h->lock);

	t0 = mk_clock_now_ns();
	err = dom_event_wait_until(h->d, HELLO_EVENT, t0 + LIMIT_NS, &bits);

	dom_mutex_enter(&h->lock);
	memcpy(h->at_wake, h->count, sizeof(h->count));
	h->blocked_ns = mk_clock_now_ns() - t0;
	h->wait_err = err;
	h->bits = bits;
	h->stop = true;
	dom_mutex_exit(&h->lock);
	return NULL;
}

struct counter_arg {
	struct hello *h;
	unsigned i; /* which count[] is this counter's */
};

static void *counter(void *arg)
{
	struct counter_arg *a = arg;
	struct hello *h = a->h;
	bool stop = false;

	while (!stop) {
		dom_mutex_enter(&h->lock);
		stop = h->stop;
		if (!stop)
			h->count[a->i]++;
		dom_mutex_exit(&h->lock);
		dom_yield();
	}
	return NULL;
}

/* Have both counters made ADVANCE turns since the waiter blocked? */
static bool counters_advanced(struct hello *h)
{
	bool yes = h->waiting;

	for (unsigned i = 0; i < COUNTERS; i++)
		yes = yes && h->count[i] - h->at_wait[i] >= ADVANCE;
	return yes;
}

static void *sender(void *arg)
{
	struct hello *h = arg;
	uint64_t end = mk_clock_now_ns() + LIMIT_NS;
	bool advanced = false;

	/* Entered, a plain thread may use the domain's mutex and sleep. */
	if (dom_enter(h->d) != 0)
		return NULL;
	while (!advanced && mk_clock_now_ns() < end) {
		dom_mutex_enter(&h->lock);
		advanced = counters_advanced(h);
		dom_mutex_exit(&h->lock);
		if (!advanced)
			dom_sleep_ns(1000 * 1000);
	}
	dom_leave(h->d);

	/* Not entered: any thread may raise an event. */
	if (advanced && dom_event_signal(h->d, HELLO_EVENT) == 0)
		h->sent = true;
	return NULL;
}

static int fail(const char *what, int err)
{
	printf("hello-domain: FAILED: %s: %s\n", what, mk_strerror(err));
	return 1;
}

int main(void)
{
	static const char *const names[COUNTERS] = {"counter-1", "counter-2"};
	struct dom_config cfg = {.name = "hello", .vcpus = 1};
	struct dom_thread_attr attr = {.name = "waiter", .vcpu = -1};
	struct dom_thread *w, *c[COUNTERS];
	struct counter_arg args[COUNTERS];
	struct hello h = {0};
	pthread_t s;
	bool ok;
	int err;

	if ((err = dom_create(&h.d, &cfg)) != 0)
		return fail("dom_create", err);
	if ((err = dom_mutex_init(&h.lock)) != 0)
		return fail("dom_mutex_init", err);
	printf("hello-domain: 1 vCPU; green threads waiter, counter-1, counter-2; "
	       "plain threads main, sender\n");

	/* main enters the domain, so it may join green threads. */
	if ((err = dom_enter(h.d)) != 0)
		return fail("dom_enter", err);
	if ((err = dom_thread_create(h.d, &w, &attr, waiter, &h)) != 0)
		return fail("dom_thread_create", err);
	for (unsigned i = 0; i < COUNTERS; i++) {
		attr.name = names[i];
		args[i] = (struct counter_arg){.h = &h, .i = i};
		err = dom_thread_create(h.d, &c[i], &attr, counter, &args[i]);
		if (err != 0)
			return fail("dom_thread_create", err);
	}
	if ((err = pthread_create(&s, NULL, sender, &h)) != 0)
		return fail("pthread_create", -err);

	dom_thread_join(w, NULL);
	for (unsigned i = 0; i < COUNTERS; i++)
		dom_thread_join(c[i], NULL);
	dom_leave(h.d);
	pthread_join(s, NULL);
	dom_mutex_destroy(&h.lock);
	if ((err = dom_destroy(h.d)) != 0)
		return fail("dom_destroy", err);

	ok = h.sent && h.wait_err == 0 && h.bits == HELLO_EVENT;
	if (h.sent)
		printf("sender:    the counters ran while the waiter was blocked: raised event "
		       "0x%" PRIx64 "\n",
		       HELLO_EVENT);
	else
		printf("sender:    the counters did not advance in 10 s: no event raised\n");
	if (h.wait_err == 0)
		printf("waiter:    woke with event 0x%" PRIx64 " after %.1f ms blocked\n", h.bits,
		       (double)h.blocked_ns / 1e6);
	else
		printf("waiter:    no event: %s\n", mk_strerror(h.wait_err));
	for (unsigned i = 0; i < COUNTERS; i++) {
		unsigned long during = h.at_wake[i] - h.at_wait[i];

		printf("%s: %lu turns, %lu of them while the waiter was blocked\n", names[i],
		       h.count[i], during);
		ok = ok && during >= ADVANCE;
	}
	printf("hello-domain: %s\n", ok ? "OK" : "FAILED");
	return ok ? 0 : 1;
}
