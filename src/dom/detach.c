/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Porters: the domain's helper host threads, the one mechanism that keeps
 * blocking host work off the vCPUs.  A porter does one of two things at a
 * time:
 *
 *  - it runs a detached green thread.  A green thread that must make a
 *    blocking host call (the host half of a rump driver reading a device,
 *    say) moves onto a porter for the duration, so its vCPU runs the other
 *    green threads meanwhile.
 *      dom_detach:   state DETACHING, switch away on the vCPU.  The switch
 *                    epilogue (its registers are saved by then) hands it
 *                    to its porter and signals it; the porter switches
 *                    into the green thread's context.  From then on the
 *                    thread is of kind DK_HOST: it blocks on its own
 *                    notification.
 *      dom_reattach: kind back to DK_GREEN, switch back to the porter's
 *                    own context; the porter (registers saved) queues the
 *                    thread on the domain queue.
 *  - it runs a job (dom_host_run): fn(arg) as a host thread entered in the
 *    domain, for work nobody waits for on a vCPU (rumpuser's asynchronous
 *    block I/O).
 *
 * Porters are started on demand and kept in d->porters_idle when they
 * have nothing to do; dom_destroy stops them.  A detaching thread always
 * gets a porter (an idle one or a new one: it must not wait behind jobs
 * that might wait for it); jobs start new porters up to DOM_JOB_PORTERS
 * and queue beyond, in order, for the next porter that is done.  An idle
 * porter means no job is queued: a porter goes idle only with d->jobs
 * empty, and a job is queued only when no porter is idle.
 *
 * dom_call's workers are not porters: they are green threads that bring
 * an outsider's work into the domain, not host threads that take
 * blocking work out of it (service.c).
 */
#include "dom_impl.h"
#include "fiber.h"

/* Porters that dom_host_run starts before it queues jobs. */
#define DOM_JOB_PORTERS 8u

/* Run a job on the porter's host thread, entered in d like any host
 * thread (its own record, not the porter's idle context). */
static void run_job(struct dom_porter *p, struct dom_job *j)
{
	struct dom *d = p->dom;

	mk_tls_set(MK_TLS_DOM_CURRENT, NULL);
	if (dom_enter(d) == 0) { /* d cannot be dying: njobs counts j */
		j->fn(j->arg);
		dom_leave(d);
	}
	mk_tls_set(MK_TLS_DOM_CURRENT, &p->seat);
	mk_mem_free(j);
	dom_spin_lock(&d->porter_lock);
	d->njobs--;
	dom_spin_unlock(&d->porter_lock);
}

/* Run the guest here until it reattaches. */
static void run_guest(struct dom_porter *p, struct dom_thread *g)
{
	g->kind = DK_HOST;
	g->porter = p;
	p->seat.cur = g;
	dom_fiber_leave(&p->ctx, g, false);
	dom_arch_switch(&p->ctx, g);
	p->seat.cur = &p->ctx;
	/* the guest reattached (switched back to us for good): back to a
	 * vCPU */
	g->porter = NULL;
	dom_sched_push_new(g);
}

static void *porter_main(void *arg)
{
	struct dom_porter *p = arg;
	struct dom *d = p->dom;
	struct dom_thread *g;
	struct dom_job *j;
	uint64_t bits;

	p->seat.cur = &p->ctx;
	dom_arch_fp_reset();
	dom_fiber_adopt(&p->ctx);
	mk_tls_set(MK_TLS_DOM_CURRENT, &p->seat);
	for (;;) {
		mk_notification_wait(&p->ntf, &bits);
		dom_spin_lock(&d->porter_lock);
		g = p->guest;
		j = p->job;
		p->job = NULL;
		bool stop = p->stop;
		dom_spin_unlock(&d->porter_lock);
		if (g == NULL && j == NULL) {
			if (stop)
				break;
			continue; /* a stray bit */
		}
		if (g != NULL)
			run_guest(p, g);
		else
			run_job(p, j);
		/* queued jobs first, then idle */
		for (;;) {
			dom_spin_lock(&d->porter_lock);
			p->guest = NULL;
			if ((j = STAILQ_FIRST(&d->jobs)) != NULL)
				STAILQ_REMOVE_HEAD(&d->jobs, link);
			else
				SLIST_INSERT_HEAD(&d->porters_idle, p, idle_link);
			dom_spin_unlock(&d->porter_lock);
			if (j == NULL)
				break;
			run_job(p, j);
		}
	}
	mk_tls_set(MK_TLS_DOM_CURRENT, NULL);
	return NULL;
}

/* Start a porter for d; it waits for its first guest or job.  NULL if
 * none can start. */
static struct dom_porter *start_porter(struct dom *d)
{
	struct dom_porter *p;

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
	SLIST_INSERT_HEAD(&d->porters_all, p, all_link);
	d->nporters++;
	dom_spin_unlock(&d->porter_lock);
	return p;
}

/* A porter for a detaching thread: an idle one, or a new one. */
static struct dom_porter *get_porter(struct dom *d)
{
	struct dom_porter *p;

	dom_spin_lock(&d->porter_lock);
	if ((p = SLIST_FIRST(&d->porters_idle)) != NULL)
		SLIST_REMOVE_HEAD(&d->porters_idle, idle_link);
	dom_spin_unlock(&d->porter_lock);
	return p != NULL ? p : start_porter(d);
}

/* Switch epilogue for a DETACHING thread: its stack is free to move. */
void dom_porter_take(struct dom_thread *t)
{
	struct dom_porter *p = t->porter;

	dom_assert(p != NULL && p->guest == NULL && p->job == NULL,
		   "thread %p '%s' detaching to porter %p, busy", (void *)t, t->name, (void *)p);
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

int dom_host_run(struct dom *d, void (*fn)(void *), void *arg)
{
	struct dom_porter *p = NULL;
	struct dom_job *j;
	bool start = false;
	int r = dom_check(d);

	if (r != 0)
		return r;
	if (fn == NULL)
		return -EINVAL;
	if ((j = mk_mem_alloc(sizeof(*j))) == NULL)
		return -ENOMEM;
	j->fn = fn;
	j->arg = arg;
	/* under porter_lock: dom_destroy's verdict holds it (njobs) */
	dom_spin_lock(&d->porter_lock);
	if (atomic_load(&d->dying)) {
		dom_spin_unlock(&d->porter_lock);
		mk_mem_free(j);
		return -ESHUTDOWN;
	}
	d->njobs++;
	if ((p = SLIST_FIRST(&d->porters_idle)) != NULL) {
		SLIST_REMOVE_HEAD(&d->porters_idle, idle_link);
		p->job = j;
	} else {
		STAILQ_INSERT_TAIL(&d->jobs, j, link);
		start = d->nporters < DOM_JOB_PORTERS;
	}
	dom_spin_unlock(&d->porter_lock);
	if (p != NULL) {
		mk_notification_signal(&p->ntf, 1);
		return 0;
	}
	if (start && (p = start_porter(d)) != NULL) {
		/* new, so not idle yet: hand it the oldest queued job */
		dom_spin_lock(&d->porter_lock);
		if ((p->job = STAILQ_FIRST(&d->jobs)) != NULL)
			STAILQ_REMOVE_HEAD(&d->jobs, link);
		else
			SLIST_INSERT_HEAD(&d->porters_idle, p, idle_link);
		dom_spin_unlock(&d->porter_lock);
		if (p->job != NULL)
			mk_notification_signal(&p->ntf, 1);
		return 0;
	}
	/* no new porter: the job waits for a busy one, unless there is none */
	dom_spin_lock(&d->porter_lock);
	bool none = d->nporters == 0 && STAILQ_FIRST(&d->jobs) == j;
	if (none) {
		STAILQ_REMOVE_HEAD(&d->jobs, link);
		d->njobs--;
	}
	dom_spin_unlock(&d->porter_lock);
	if (none) {
		mk_mem_free(j);
		return -EAGAIN;
	}
	return 0;
}

void dom_porters_stop(struct dom *d)
{
	struct dom_porter *p;

	dom_spin_lock(&d->porter_lock);
	SLIST_FOREACH(p, &d->porters_all, all_link)
		p->stop = true;
	dom_spin_unlock(&d->porter_lock);
	while ((p = SLIST_FIRST(&d->porters_all)) != NULL) {
		SLIST_REMOVE_HEAD(&d->porters_all, all_link);
		mk_notification_signal(&p->ntf, 1);
		mk_thread_join(p->host, NULL);
		mk_notification_destroy(&p->ntf);
		mk_mem_free(p);
	}
	SLIST_INIT(&d->porters_idle);
	d->nporters = 0;
}
