/* SPDX-License-Identifier: BSD-2-Clause */
/* Domains: creation, dom_run for a caller that is vCPU 0, teardown. */
#include "dom_impl.h"
#include "trace_impl.h"
#include "fiber.h"

static _Atomic uint64_t next_serial = 1;

static void free_dom(struct dom *d)
{
	if (d->irq == &d->own_irq)
		mk_notification_destroy(&d->own_irq);
	dom_timers_free(d);
	mk_mem_free(d->post);
	if (d->vcpu != NULL)
		for (unsigned i = 0; i < d->nvcpu; i++)
			mk_notification_destroy(&d->vcpu[i].ntf);
	mk_mem_free(d->vcpu);
	for (unsigned i = 0; i < d->nstacks; i++)
		mk_stack_destroy(&d->stacks[i]);
	mk_mem_free(d->stacks);
	d->magic = DOM_MAGIC_DEAD;
	dom_record_free(DOM_REC_DOM, d);
}

/* Stop and join the vCPU host threads that were started. */
static void stop_vcpus(struct dom *d, unsigned started)
{
	atomic_store(&d->vstop, true);
	for (unsigned i = 0; i < started; i++)
		dom_sched_kick_vcpu(&d->vcpu[i]);
	for (unsigned i = 0; i < started; i++)
		if (d->vcpu[i].host != NULL)
			mk_thread_join(d->vcpu[i].host, NULL);
}

int dom_create(struct dom **out, const struct dom_config *cfg)
{
	static const struct dom_config dflt;
	struct dom *d;
	const char *name;
	unsigned n, i;
	int r;

	if (out == NULL)
		return -EINVAL;
	if (cfg == NULL)
		cfg = &dflt;
	n = cfg->vcpus != 0 ? cfg->vcpus : 1;
	if (n > DOM_VCPUS_MAX || (DOM_ONE_VCPU && n > 1) ||
	    (cfg->flags & ~DOM_CALLER_IS_VCPU0) != 0 || cfg->post_capacity > (1u << 20) ||
	    cfg->stack_size > ((size_t)256 << 20))
		return -EINVAL;
	if (cfg->irq != NULL) {
		uint64_t w;
		r = mk_notification_poll(cfg->irq, &w);
		if (r != 0 && r != -EAGAIN)
			return -EINVAL;
		if (r == 0) /* bits that were pending: keep them */
			mk_notification_signal(cfg->irq, w);
	}
	name = cfg->name != NULL ? cfg->name : "dom";
	if (strlen(name) > DOM_NAME_MAX)
		return -ENAMETOOLONG;
	if ((d = dom_record_alloc(DOM_REC_DOM)) == NULL)
		return -ENOMEM;
#if DOM_ONE_VCPU
	/* The vCPU next, so that a heap which places blocks one after the
	 * other (a Microkit PD's) puts it on the record's page: the wake-up
	 * path touches both (docs/microkit.md, "Benchmark"). */
	d->vcpu = mk_mem_alloc(n * sizeof(*d->vcpu));
#endif
	strcpy(d->name, name);
	d->flags = cfg->flags;
	d->serial = atomic_fetch_add(&next_serial, 1);
	d->nvcpu = n;
	d->stack_size = cfg->stack_size != 0 ? cfg->stack_size : 64 * 1024;
	d->stacks = mk_mem_alloc(DOM_STACK_CACHE * sizeof(*d->stacks)); /* NULL: no cache */
	d->max_workers = cfg->max_workers != 0 ? cfg->max_workers : 16;
	d->post_cap = cfg->post_capacity != 0 ? cfg->post_capacity : 256;
	atomic_init(&d->timers.next, MK_FOREVER);
	atomic_init(&d->listener, -1);
	atomic_init(&d->poller, -1);
	atomic_init(&d->wake_cpu, UINT32_MAX);
	d->idle_poll = dom_idle_poll_enabled();
	/* One vCPU always listens: a plain wait on irq is all it needs. */
	d->waitv = n > 1 && mk_notification_wait2_probe() == 0;
	dom_waitq_init(&d->evq);
	dom_waitq_init(&d->svcq);
	dom_waitq_init(&d->workq);
	TAILQ_INIT(&d->calls);
	TAILQ_INIT(&d->calls_running);
	STAILQ_INIT(&d->rq.q);
	STAILQ_INIT(&d->jobs);
	if (cfg->irq != NULL) {
		d->irq = cfg->irq;
	} else {
		d->irq = &d->own_irq;
		mk_notification_init(&d->own_irq, 0);
	}
	d->post = mk_mem_alloc(d->post_cap * sizeof(*d->post));
#if !DOM_ONE_VCPU
	d->vcpu = mk_mem_alloc(n * sizeof(*d->vcpu));
#endif
	if (d->post == NULL || d->vcpu == NULL) {
		free_dom(d);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		struct dom_vcpu *v = &d->vcpu[i];
		v->dom = d;
		v->id = i;
		atomic_init(&v->timers.next, MK_FOREVER);
		STAILQ_INIT(&v->inbox.q);
		STAILQ_INIT(&v->priv);
		mk_notification_init(&v->ntf, 0);
		v->idle_avg_ns = DOM_IDLE_SAMPLE_MAX_NS; /* long: no poll until idles are short */
		v->idle_ctx.kind = DK_IDLE;
		v->idle_ctx.dom = d;
		v->idle_ctx.vcpu = v;
		v->idle_ctx.affinity = -1;
		v->idle_ctx.magic = DOM_MAGIC_THREAD;
		strcpy(v->idle_ctx.name, "idle");
	}
	d->magic = DOM_MAGIC_DOM;

	for (i = (d->flags & DOM_CALLER_IS_VCPU0) ? 1 : 0; i < n; i++) {
		char tn[MK_THREAD_NAME_MAX + 1];
		size_t l = strlen(d->name);
		/* "<domain>/<vcpu>", cut to fit the host's name limit */
		if (l > MK_THREAD_NAME_MAX - 3)
			l = MK_THREAD_NAME_MAX - 3;
		memcpy(tn, d->name, l);
		tn[l++] = '/';
		if (i >= 10)
			tn[l++] = (char)('0' + i / 10);
		tn[l++] = (char)('0' + i % 10);
		tn[l] = '\0';
		if ((r = mk_thread_create(&d->vcpu[i].host, tn, dom_vcpu_main, &d->vcpu[i])) != 0) {
			stop_vcpus(d, i);
			free_dom(d);
			return r;
		}
	}
	if ((r = dom_service_start(d)) != 0) {
		stop_vcpus(d, n);
		free_dom(d);
		return r;
	}
	dom_trace_created(d);
	*out = d;
	return 0;
}

int dom_run(struct dom *d)
{
	int r = dom_check(d);
	bool no = false;

	if (r != 0)
		return r;
	if (!(d->flags & DOM_CALLER_IS_VCPU0))
		return -EINVAL;
	if (mk_tls_get(MK_TLS_DOM_CURRENT) != NULL)
		return -EPERM;
	if (!atomic_compare_exchange_strong(&d->running0, &no, true))
		return -EBUSY;
	mk_thread_prepare_current();
	dom_vcpu_main(&d->vcpu[0]);
	atomic_store(&d->run_stop, false);
	atomic_store(&d->running0, false);
	return 0;
}

int dom_stop(struct dom *d)
{
	int r = dom_check(d);

	if (r != 0)
		return r;
	atomic_store(&d->run_stop, true);
	dom_sched_kick_vcpu(&d->vcpu[0]);
	return 0;
}

struct mk_notification *dom_irq(struct dom *d)
{
	return dom_check(d) == 0 ? d->irq : NULL;
}

unsigned dom_vcpus(const struct dom *d)
{
	return dom_check(d) == 0 ? d->nvcpu : 0;
}

/* "<what>0x<address of fn>" on the console. */
static void log_fn(const struct dom *d, const char *what, void (*fn)(void))
{
	char hex[2 + 2 * sizeof(uintptr_t) + 1], *p = hex + sizeof(hex) - 1;
	uintptr_t a = (uintptr_t)fn;

	*p = '\0';
	do
		*--p = "0123456789abcdef"[a & 15];
	while ((a >>= 4) != 0);
	*--p = 'x';
	*--p = '0';
	dom_log(d, what, p, "");
}

int dom_destroy(struct dom *d)
{
	void (*post_fn)(void *), (*handler_fn)(unsigned, void *);
	void *(*call_fn)(void *) = NULL;
	struct dom_call_req *req;
	struct dom_thread *rec, *t;
	unsigned live, jobs;
	uint64_t bits;
	int r = dom_check(d);

	if (r != 0)
		return r;
	if (mk_tls_get(MK_TLS_DOM_CURRENT) != NULL)
		return -EPERM;
	if (atomic_load(&d->running0))
		return -EBUSY;
	if ((rec = dom_host_record()) == NULL)
		return -ENOMEM;

	/* The verdict: one consistent look at everything that keeps the
	 * domain alive, under d->lock, evq.lock, workq.lock, porter_lock and
	 * host_lock (the one place locks nest, docs/locking.md).  Refuse while
	 * user threads live, hosts are entered, or a post, bound handler,
	 * call or host job is queued or running (it could be waiting on us:
	 * waiting for it could hang for ever); else commit (dying), before
	 * any lock is dropped, so that no new work slips in.  closing makes a racing
	 * dom_enter wait for the verdict (struct dom).  A refusal changes
	 * nothing that anybody else can see. */
	dom_spin_lock(&d->lock);
	if (atomic_load(&d->dying)) {
		dom_spin_unlock(&d->lock); /* another destroy got there first */
		return -EBADF;
	}
#if DOM_DEBUG
	dom_locks_nest = true; /* the one nesting (docs/locking.md) */
#endif
	atomic_store(&d->closing, true); /* seq_cst: pairs with dom_enter's nest store */
	live = d->nthreads;
	dom_spin_lock(&d->evq.lock);
	live += d->post_n + (d->svc_post != NULL) + (d->svc_handler != NULL);
	post_fn = d->post_n != 0 ? d->post[d->post_head].fn : d->svc_post;
	handler_fn = d->svc_handler;
	dom_spin_lock(&d->workq.lock);
	TAILQ_FOREACH(req, &d->calls, link)
		call_fn = req->fn, live++;
	TAILQ_FOREACH(req, &d->calls_running, link)
		call_fn = req->fn, live++;
	dom_spin_lock(&d->porter_lock);
	jobs = d->njobs;
	live += jobs;
	live += dom_hosts_entered(d, false); /* host_lock */
	if (live == 0)
		atomic_store(&d->dying, true); /* before any lock is dropped */
	dom_spin_unlock(&d->porter_lock);
	dom_spin_unlock(&d->workq.lock);
	dom_spin_unlock(&d->evq.lock);
#if DOM_DEBUG
	dom_locks_nest = false;
#endif
	atomic_store(&d->closing, false);
	if (live > 0) {
		/* name them (stale names at worst: the domain lives on) */
		LIST_FOREACH(t, &d->all, all_link)
			if (!t->service && atomic_load(&t->state) != TS_ZOMBIE)
				dom_log(d, "destroy refused: green thread still alive: '",
					t->name, "'");
	}
	dom_spin_unlock(&d->lock);
	if (live > 0) {
		dom_hosts_entered(d, true);
		if (post_fn != NULL)
			log_fn(d, "destroy refused: dom_post function in flight: ",
			       (void (*)(void))post_fn);
		if (handler_fn != NULL)
			log_fn(d, "destroy refused: event handler running: ",
			       (void (*)(void))handler_fn);
		if (call_fn != NULL)
			log_fn(d, "destroy refused: dom_call function in flight: ",
			       (void (*)(void))call_fn);
		if (jobs != 0)
			dom_log(d, "destroy refused: dom_host_run jobs queued or running", "", "");
		return -EBUSY;
	}
	dom_trace_destroying(d);

	/* Stop the domain's own threads and wait until all are reaped. */
	dom_service_stop(d);
	dom_spin_lock(&d->lock);
	bool wait = d->nservice > 0;
	if (wait)
		d->destroyer = rec;
	dom_spin_unlock(&d->lock);
	if (wait && (d->flags & DOM_CALLER_IS_VCPU0)) {
		/* vCPU 0 may be the only one: run it here until they are gone */
		while (dom_run(d) == 0) {
			dom_spin_lock(&d->lock);
			wait = d->nservice > 0;
			dom_spin_unlock(&d->lock);
			if (!wait)
				break;
		}
	} else {
		while (wait) {
			mk_notification_wait(&rec->ntf, &bits);
			dom_spin_lock(&d->lock);
			wait = d->nservice > 0;
			dom_spin_unlock(&d->lock);
		}
	}

	dom_porters_stop(d);
	stop_vcpus(d, d->nvcpu);
	/* joinable threads that exited and were never joined */
	while ((t = LIST_FIRST(&d->all)) != NULL) {
		LIST_REMOVE(t, all_link);
		dom_thread_free(t);
	}
	dom_hosts_unbind_all(d);
	free_dom(d);
	return 0;
}
