/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The domain's own green threads and the work they do for outsiders:
 *
 *  - the service thread ("interrupt thread") runs bound event handlers
 *    and dom_post requests, in order;
 *  - call workers run dom_call requests; an idle worker waits on
 *    d->workq, a request with no idle worker starts a new one (up to
 *    max_workers, then it queues).
 *
 * dom_post never allocates: its queue is a ring sized at creation.
 * dom_call's request lives on the caller's stack; the caller waits on its
 * host record's notification, which the worker signals once, last.
 */
#include "dom_impl.h"
#include "trace_impl.h"

/* One piece of the service thread's work: a bound event or a post. */
struct svc_item {
	void (*handler)(unsigned, void *); /* NULL: a post */
	void (*post)(void *);
	void *arg;
	unsigned bit;
};

/* The service thread's next piece of work, taken under evq.lock: a bound
 * event first, then the oldest post.  What it takes stays recorded in
 * d->svc_handler / d->svc_post until it is done, so that dom_destroy can
 * name it and refuse (a function waiting on the destroyer would otherwise
 * never end).  Once the domain is dying there is no post left
 * (dom_destroy refuses while one is queued) and bound events that arrive
 * meanwhile are dropped. */
static bool svc_take(struct dom *d, struct svc_item *it)
{
	bool got = false;

	dom_spin_lock(&d->evq.lock);
	d->svc_handler = NULL;
	d->svc_post = NULL;
	if (!atomic_load(&d->dying)) {
		uint64_t bits = d->pending & d->bound;
		if (bits != 0) {
			it->bit = (unsigned)__builtin_ctzll(bits);
			d->pending &= ~(UINT64_C(1) << it->bit);
			it->handler = d->svc_handler = d->handler[it->bit];
			it->arg = d->handler_arg[it->bit];
			got = true;
		} else if (d->post_n != 0) {
			struct dom_post_slot *s = &d->post[d->post_head];
			d->post_head = (d->post_head + 1) % d->post_cap;
			d->post_n--;
			it->handler = NULL;
			it->post = d->svc_post = s->fn;
			it->arg = s->arg;
			got = true;
		}
	}
	dom_spin_unlock(&d->evq.lock);
	return got;
}

void *dom_service_main(void *arg)
{
	struct dom *d = arg;
	struct dom_thread *self = dom_self_inline();
	struct svc_item it = {0};
	struct dom_waiter w;

	for (;;) {
		dom_spin_lock(&d->svcq.lock);
		while (!d->svc_work) {
			dom_waitq_block(&d->svcq, &w, self, 0, MK_FOREVER);
			dom_spin_lock(&d->svcq.lock);
		}
		d->svc_work = false;
		dom_spin_unlock(&d->svcq.lock);

		while (svc_take(d, &it)) {
			if (it.handler != NULL) {
				DOM_TRACE(d, DOM_TR_EVENT_DISPATCH, it.bit, it.handler, 0, NULL);
				it.handler(it.bit, it.arg);
			} else {
				it.post(it.arg);
			}
		}
		if (atomic_load(&d->dying))
			return NULL;
	}
}

int dom_post(struct dom *d, void (*fn)(void *), void *arg)
{
	int r = dom_check(d);

	if (r != 0)
		return r;
	if (fn == NULL)
		return -EINVAL;
	/* under evq.lock: dom_destroy's verdict holds it (service thread) */
	dom_spin_lock(&d->evq.lock);
	if (atomic_load(&d->dying)) {
		r = -ESHUTDOWN;
	} else if (d->post_n == d->post_cap) {
		r = -EAGAIN;
	} else {
		d->post[(d->post_head + d->post_n) % d->post_cap] = (struct dom_post_slot){fn, arg};
		d->post_n++;
	}
	dom_spin_unlock(&d->evq.lock);
	if (r == 0)
		dom_service_kick(d);
	return r;
}

static void *worker_main(void *arg)
{
	struct dom *d = arg;
	struct dom_thread *self = dom_self_inline();
	struct dom_call_req *req;
	struct dom_waiter w;

	for (;;) {
		dom_spin_lock(&d->workq.lock);
		while ((req = TAILQ_FIRST(&d->calls)) == NULL) {
			if (atomic_load(&d->dying)) {
				d->workers--;
				dom_spin_unlock(&d->workq.lock);
				return NULL;
			}
			d->idle_workers++;
			dom_waitq_block(&d->workq, &w, self, 0, MK_FOREVER);
			dom_spin_lock(&d->workq.lock);
		}
		/* queued -> running: dom_destroy names and refuses both */
		TAILQ_REMOVE(&d->calls, req, link);
		TAILQ_INSERT_TAIL(&d->calls_running, req, link);
		req->queued = false;
		dom_spin_unlock(&d->workq.lock);

		struct dom_thread *caller = req->caller;
		req->ret = req->fn(req->arg);
		dom_spin_lock(&d->workq.lock);
		TAILQ_REMOVE(&d->calls_running, req, link);
		dom_spin_unlock(&d->workq.lock);
		/* the last touch of req (release: pairs with the caller's
		 * acquire); the caller may return at once */
		atomic_store_explicit(&req->done, 1, memory_order_release);
		mk_notification_signal(&caller->ntf, 1);
	}
}

int dom_call(struct dom *d, void *(*fn)(void *), void *arg, void **ret)
{
	struct dom_thread *self = dom_self_inline();
	struct dom_call_req req = {.fn = fn, .arg = arg};
	struct dom_waiter *w = NULL;
	struct dom_thread *rec;
	bool spawn = false;
	uint64_t bits;
	int r = dom_check(d);

	if (r != 0)
		return r;
	if (fn == NULL)
		return -EINVAL;
	if (self != NULL && self->kind == DK_GREEN && self->dom == d) {
		void *v = fn(arg);
		if (ret != NULL)
			*ret = v;
		return 0;
	}
	/* A host thread (entered or not) waits on its own record. */
	rec = self != NULL && self->kind == DK_HOST ? self : dom_host_record();
	if (rec == NULL)
		return -ENOMEM;
	req.caller = rec;
	/* under workq.lock: dom_destroy's verdict holds it */
	dom_spin_lock(&d->workq.lock);
	if (atomic_load(&d->dying)) {
		dom_spin_unlock(&d->workq.lock);
		return -ESHUTDOWN;
	}
	TAILQ_INSERT_TAIL(&d->calls, &req, link);
	req.queued = true;
	if (d->idle_workers > 0) {
		w = dom_waitq_claim_first(&d->workq);
		d->idle_workers--;
	} else if (d->workers < d->max_workers) {
		d->workers++;
		spawn = true;
	}
	dom_spin_unlock(&d->workq.lock);
	if (w != NULL)
		dom_waiter_wake(w);
	if (spawn) {
		struct dom_thread_attr a = {.name = "dom-worker", .vcpu = -1, .detached = true};
		if (dom_thread_spawn(d, NULL, &a, worker_main, d, true) != 0) {
			/* No memory for a worker: the call waits for a busy one;
			 * with none at all, nobody will ever serve it: take it
			 * back unless a worker took it meanwhile. */
			bool back = false;
			dom_spin_lock(&d->workq.lock);
			d->workers--;
			if (d->workers == 0 && req.queued) {
				TAILQ_REMOVE(&d->calls, &req, link);
				back = true;
			}
			dom_spin_unlock(&d->workq.lock);
			if (back)
				return -ENOMEM;
		}
	}
	while (!atomic_load_explicit(&req.done, memory_order_acquire))
		mk_notification_wait(&rec->ntf, &bits); /* stray bits: see waitq.c */
	if (ret != NULL)
		*ret = req.ret;
	return 0;
}

int dom_service_start(struct dom *d)
{
	struct dom_thread_attr a = {.name = "dom-service", .vcpu = -1, .detached = true};

	return dom_thread_spawn(d, NULL, &a, dom_service_main, d, true);
}

/* dom_destroy, with d->dying set: end the service thread and the
 * workers; they exit and are reaped, which dom_destroy waits for. */
void dom_service_stop(struct dom *d)
{
	struct dom_waiter *list = NULL, *w;

	dom_service_kick(d);
	dom_spin_lock(&d->workq.lock);
	while ((w = dom_waitq_claim_first(&d->workq)) != NULL) {
		w->next = list;
		list = w;
		d->idle_workers--;
	}
	dom_spin_unlock(&d->workq.lock);
	while ((w = list) != NULL) {
		list = w->next;
		dom_waiter_wake(w);
	}
}
