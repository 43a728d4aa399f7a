/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Detached green threads: a green thread that must make a blocking host
 * call (the host half of a rump driver reading a device, say) moves onto
 * a host thread of its own, a porter, for the duration, so its vCPU runs
 * the other green threads meanwhile.
 *
 *   dom_detach:   state DETACHING, switch away on the vCPU.  The switch
 *                 epilogue (its registers are saved by then) hands it to
 *                 an idle porter and signals it; the porter switches into
 *                 the green thread's context.  From then on the thread is
 *                 of kind DK_HOST: it blocks on its own notification.
 *   dom_reattach: kind back to DK_GREEN, switch back to the porter's own
 *                 context; the porter (registers saved) queues the thread
 *                 on the domain queue and waits for the next guest.
 *
 * Porters are started on demand and kept in d->porters_idle; dom_destroy
 * stops them.  Only mk calls here: a porter is an mk thread.
 */
#include "dom_impl.h"
#include "fiber.h"

static void *porter_main(void *arg)
{
	struct dom_porter *p = arg;
	struct dom *d = p->dom;
	struct dom_thread *g;
	uint64_t bits;

	p->seat.cur = &p->ctx;
	dom_arch_fp_reset();
	dom_fiber_adopt(&p->ctx);
	mk_tls_set(MK_TLS_DOM_CURRENT, &p->seat);
	for (;;) {
		mk_notification_wait(&p->ntf, &bits);
		dom_spin_lock(&d->porter_lock);
		g = p->guest;
		bool stop = p->stop;
		dom_spin_unlock(&d->porter_lock);
		if (g == NULL) {
			if (stop)
				break;
			continue;
		}
		/* run the guest here until it reattaches */
		g->kind = DK_HOST;
		g->porter = p;
		p->seat.cur = g;
		dom_fiber_leave(&p->ctx, g, false);
		dom_arch_switch(&p->ctx, g);
		p->seat.cur = &p->ctx;
		/* the guest reattached (switched back to us for good): back
		 * to a vCPU */
		g->porter = NULL;
		dom_spin_lock(&d->porter_lock);
		p->guest = NULL;
		p->next = d->porters_idle;
		d->porters_idle = p;
		dom_spin_unlock(&d->porter_lock);
		dom_sched_push_new(g);
	}
	mk_tls_set(MK_TLS_DOM_CURRENT, NULL);
	return NULL;
}

/* A porter for d: an idle one, or a new one.  NULL if none can start. */
static struct dom_porter *get_porter(struct dom *d)
{
	struct dom_porter *p;

	dom_spin_lock(&d->porter_lock);
	if ((p = d->porters_idle) != NULL)
		d->porters_idle = p->next;
	dom_spin_unlock(&d->porter_lock);
	if (p != NULL)
		return p;
	if ((p = mk_mem_alloc(sizeof(*p))) == NULL)
		return NULL;
	p->dom = d;
	p->ctx.kind = DK_IDLE;
	p->ctx.dom = d;
	p->ctx.affinity = -1;
	p->ctx.magic = DOM_MAGIC_THREAD;
	strcpy(p->ctx.name, "porter");
	mk_notification_init(&p->ntf, 0);
	if (mk_thread_create(&p->host, "dom-porter", porter_main, p) != 0) {
		mk_notification_destroy(&p->ntf);
		mk_mem_free(p);
		return NULL;
	}
	dom_spin_lock(&d->porter_lock);
	p->next = NULL;
	p->all_next = d->porters_all;
	d->porters_all = p;
	dom_spin_unlock(&d->porter_lock);
	return p;
}

/* Switch epilogue for a DETACHING thread: its stack is free to move. */
void dom_porter_take(struct dom_thread *t)
{
	struct dom_porter *p = t->porter;

	dom_assert(p != NULL && p->guest == NULL, "thread %p '%s' detaching to porter %p, busy",
		   (void *)t, t->name, (void *)p);
	dom_spin_lock(&t->dom->porter_lock);
	p->guest = t;
	dom_spin_unlock(&t->dom->porter_lock);
	mk_notification_signal(&p->ntf, 1);
}

int dom_detach(void)
{
	struct dom_thread *self = dom_self_inline();
	struct dom_porter *p;

	if (self == NULL || self->kind != DK_GREEN)
		return -EPERM;
	if ((p = get_porter(self->dom)) == NULL)
		return -EAGAIN;
	dom_assert_state(self, DOM_ST(TS_RUNNING), "detach");
	self->porter = p;
	atomic_store(&self->state, TS_DETACHING);
	dom_sched_switch_out(self);
	/* now running on the porter's host thread, as a host thread */
	return 0;
}

int dom_reattach(void)
{
	struct dom_thread *self = dom_self_inline();
	struct dom_porter *p;

	if (self == NULL || self->kind != DK_HOST || (p = self->porter) == NULL ||
	    p->seat.cur != self)
		return -EPERM;
	self->kind = DK_GREEN;
	/* RUNNING: the switch epilogue leaves it alone; the porter queues it
	 * (dom_sched_push_new) once our stack is saved */
	atomic_store(&self->state, TS_RUNNING);
	dom_fiber_leave(self, &p->ctx, false);
	dom_arch_switch(self, &p->ctx);
	/* resumed by a vCPU */
	return 0;
}

void dom_porters_stop(struct dom *d)
{
	struct dom_porter *p, *next;

	dom_spin_lock(&d->porter_lock);
	for (p = d->porters_all; p != NULL; p = p->all_next)
		p->stop = true;
	p = d->porters_all;
	d->porters_all = d->porters_idle = NULL;
	dom_spin_unlock(&d->porter_lock);
	for (; p != NULL; p = next) {
		next = p->all_next;
		mk_notification_signal(&p->ntf, 1);
		mk_thread_join(p->host, NULL);
		mk_notification_destroy(&p->ntf);
		mk_mem_free(p);
	}
}
