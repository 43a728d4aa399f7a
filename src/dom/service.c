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

void *dom_service_main(void *arg)
{
	struct dom *d = arg;
	struct dom_thread *self = dom_self_inline();
	struct dom_waiter w;

	for (;;) {
		dom_spin_lock(&d->svcq.lock);
		while (!d->svc_work) {
			dom_waitq_block(&d->svcq, &w, self, 0, MK_FOREVER);
			dom_spin_lock(&d->svcq.lock);
		}
		d->svc_work = false;
		dom_spin_unlock(&d->svcq.lock);

		/* bound events */
		for (;;) {
			dom_spin_lock(&d->evq.lock);
			uint64_t bits = d->pending & d->bound;
			if (bits == 0) {
				dom_spin_unlock(&d->evq.lock);
				break;
			}
			unsigned bit = (unsigned)__builtin_ctzll(bits);
			void (*fn)(unsigned, void *) = d->handler[bit];
			void *a = d->handler_arg[bit];
			d->pending &= ~(UINT64_C(1) << bit);
			dom_spin_unlock(&d->evq.lock);
			fn(bit, a);
		}
		/* posts, in order */
		for (;;) {
			dom_spin_lock(&d->evq.lock);
			if (d->post_n == 0) {
				dom_spin_unlock(&d->evq.lock);
				break;
			}
			struct dom_post_slot s = d->post[d->post_head];
			d->post_head = (d->post_head + 1) % d->post_cap;
			d->post_n--;
			dom_spin_unlock(&d->evq.lock);
			s.fn(s.arg);
		}
		if (atomic_load(&d->stopping))
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
	if (atomic_load(&d->stopping))
		return -ESHUTDOWN;
	dom_spin_lock(&d->evq.lock);
	if (d->post_n == d->post_cap) {
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
		while ((req = d->calls) == NULL) {
			if (atomic_load(&d->stopping)) {
				d->workers--;
				dom_spin_unlock(&d->workq.lock);
				return NULL;
			}
			d->idle_workers++;
			dom_waitq_block(&d->workq, &w, self, 0, MK_FOREVER);
			dom_spin_lock(&d->workq.lock);
		}
		d->calls = req->next;
		if (d->calls == NULL)
			d->calls_tail = NULL;
		dom_spin_unlock(&d->workq.lock);

		struct dom_thread *caller = req->caller;
		req->ret = req->fn(req->arg);
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
	dom_spin_lock(&d->workq.lock);
	if (atomic_load(&d->stopping)) {
		dom_spin_unlock(&d->workq.lock);
		return -ESHUTDOWN;
	}
	if (d->calls_tail != NULL)
		d->calls_tail->next = &req;
	else
		d->calls = &req;
	d->calls_tail = &req;
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
			/* no memory for a worker: the call waits for a busy one */
			dom_spin_lock(&d->workq.lock);
			d->workers--;
			bool none = d->workers == 0;
			dom_spin_unlock(&d->workq.lock);
			if (none) {
				/* nobody will ever serve it: take it back */
				dom_spin_lock(&d->workq.lock);
				struct dom_call_req **pp = &d->calls, *prev = NULL;
				while (*pp != NULL && *pp != &req) {
					prev = *pp;
					pp = &(*pp)->next;
				}
				bool found = *pp == &req;
				if (found) {
					*pp = req.next;
					if (d->calls_tail == &req)
						d->calls_tail = prev;
				}
				dom_spin_unlock(&d->workq.lock);
				if (found)
					return -ENOMEM;
			}
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

/* dom_destroy, with d->stopping set: end the service thread and the
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
