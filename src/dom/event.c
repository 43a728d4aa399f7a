/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Events: the 63 bits of the domain notification.
 *
 * A vCPU that takes bits from the notification (waking from idle, or at
 * a scheduling point) hands them to dom_event_deliver.  Pending bits live
 * in d->pending under d->evq.lock.  Bits bound to a handler are for the
 * service thread; the others go to green or host threads waiting in
 * dom_event_wait whose mask covers them, in queue order; what nobody
 * waits for stays pending, as in a notification.
 */
#include "dom_impl.h"
#include "trace_impl.h"

/* Tell the service thread there is work (events or posts). */
void dom_service_kick(struct dom *d)
{
	struct dom_waiter *w;

	dom_spin_lock(&d->svcq.lock);
	d->svc_work = true;
	w = dom_waitq_claim_first(&d->svcq);
	dom_spin_unlock(&d->svcq.lock);
	if (w != NULL)
		dom_waiter_wake(w);
}

DOM_WAKE_PATH void dom_event_deliver(struct dom *d, uint64_t bits)
{
	struct dom_waiter *list = NULL, **tail = &list, *w, *next;
	bool svc;

	DOM_TRACE(d, DOM_TR_EVENT_ARRIVE, bits, 0, 0, NULL);
	dom_spin_lock(&d->evq.lock);
	d->pending |= bits;
	for (w = d->evq.head; w != NULL && (d->pending & ~d->bound) != 0; w = next) {
		next = w->next;
		uint64_t got = d->pending & w->data & ~d->bound;
		if (got == 0 || !dom_waitq_claim(&d->evq, w))
			continue;
		d->pending &= ~got;
		w->data = got; /* what the waiter returns */
		w->next = NULL;
		*tail = w;
		tail = &w->next;
	}
	svc = (d->pending & d->bound) != 0;
	dom_spin_unlock(&d->evq.lock);
	while ((w = list) != NULL) {
		list = w->next;
		dom_waiter_wake(w);
	}
	if (svc)
		dom_service_kick(d);
}

int dom_event_signal(struct dom *d, uint64_t bits)
{
	int r = dom_check(d);

	if (r != 0)
		return r;
	if (bits == 0 || (bits & ~DOM_EVENT_MASK) != 0)
		return -EINVAL;
	DOM_TRACE(d, DOM_TR_EVENT_SIGNAL, bits, 0, 0, NULL);
	dom_sched_note_waker(d);
	return mk_notification_signal(d->irq, bits);
}

int dom_event_bind(struct dom *d, unsigned bit, void (*handler)(unsigned, void *), void *arg)
{
	int r = dom_check(d);
	bool svc;

	if (r != 0)
		return r;
	if (bit >= DOM_EVENTS)
		return -EINVAL;
	dom_spin_lock(&d->evq.lock);
	if (handler != NULL && d->handler[bit] != NULL) {
		r = -EEXIST;
	} else {
		d->handler[bit] = handler;
		d->handler_arg[bit] = arg;
		if (handler != NULL)
			d->bound |= UINT64_C(1) << bit;
		else
			d->bound &= ~(UINT64_C(1) << bit);
	}
	svc = (d->pending & d->bound) != 0;
	dom_spin_unlock(&d->evq.lock);
	if (svc)
		dom_service_kick(d); /* bits that arrived before the bind */
	return r;
}

DOM_WAKE_PATH
int dom_event_wait_until(struct dom *d, uint64_t mask, uint64_t deadline_ns, uint64_t *bits)
{
	struct dom_thread *self = dom_self_inline();
	struct dom_waiter w;
	uint64_t got;
	int r = dom_check(d);

	if (r != 0)
		return r;
	if (bits == NULL || mask == 0 || (mask & ~DOM_EVENT_MASK) != 0)
		return -EINVAL;
	if (self == NULL || self->dom != d)
		return -EPERM;
	dom_spin_lock(&d->evq.lock);
	got = d->pending & mask & ~d->bound;
	if (got != 0) {
		d->pending &= ~got;
		dom_spin_unlock(&d->evq.lock);
		*bits = got;
		return 0;
	}
	r = dom_waitq_block(&d->evq, &w, self, mask, deadline_ns);
	*bits = r == 0 ? w.data : 0;
	return r;
}

DOM_WAKE_PATH int dom_event_wait(struct dom *d, uint64_t mask, uint64_t *bits)
{
	return dom_event_wait_until(d, mask, MK_FOREVER, bits);
}
