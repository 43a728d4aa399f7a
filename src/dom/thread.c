/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Green threads (create, exit, join, yield, sleep) and the records of host
 * threads (foreign entry, dom_call callers).
 *
 * Lifetime of a green thread record: created by dom_thread_create, linked
 * in d->all under d->lock.  On exit its state becomes ZOMBIE and it
 * switches away for good; the switch epilogue (dom_thread_reap, on another
 * stack) marks it dead under its joinq lock and wakes the joiner, or
 * frees it if detached.  A joiner frees it after seeing it dead, so a
 * stack is never freed while it is still in use.
 *
 * Host records are owned by their host thread: allocated on its first
 * dom_enter or dom_call, cached in TLS slot MK_TLS_DOM_ENTRY, returned by
 * the TLS destructor to a pool when the thread exits.  They are never
 * freed: a waker's mk_notification_signal may still be touching the
 * record's notification after its waiter has seen the bit and left (the
 * type-stable memory of SLAB_TYPESAFE_BY_RCU, for the same reason).  While bound to a domain they are
 * on that domain's hosts list, under the global host_lock, which the
 * destructor and dom_destroy both take, so neither sees the other's freed
 * memory.
 */
#include "dom_impl.h"
#include "trace_impl.h"
#include "fiber.h"

static _Atomic uint32_t host_lock;
static struct dom_threadlist host_pool; /* host_lock */

void dom_log(const struct dom *d, const char *a, const char *b, const char *c)
{
	char buf[256];
	size_t n = 0;
	const char *parts[] = {"rumpbridge: dom '", d != NULL ? d->name : "?", "': ", a, b, c, "\n"};

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		size_t l = parts[i] != NULL ? strlen(parts[i]) : 0;
		if (l > sizeof(buf) - n)
			l = sizeof(buf) - n;
		memcpy(buf + n, parts[i], l);
		n += l;
	}
	mk_console_write(buf, n);
}

/*
 * The stack cache.  A thread whose stack is of the domain's default size
 * (d->stack_size) returns it to d->stacks when it is freed, up to
 * DOM_STACK_CACHE; the next such thread takes the most recent one (its
 * pages are still committed, so nothing is mapped, faulted in or zeroed).
 * The guard comes along: it is part of the stack.  mk_stack_reuse renames
 * it for the overflow report.  free_dom releases what is left.
 */
static int stack_get(struct dom *d, struct dom_thread *t, size_t ss)
{
	if (ss == d->stack_size) {
		t->std_stack = true;
		dom_spin_lock(&d->lock);
		if (d->nstacks > 0) {
			t->stack = d->stacks[--d->nstacks];
			dom_spin_unlock(&d->lock);
			return mk_stack_reuse(&t->stack, t->name);
		}
		dom_spin_unlock(&d->lock);
	}
	return mk_stack_create(&t->stack, ss, t->name);
}

static void stack_put(struct dom_thread *t)
{
	struct dom *d = t->dom;

	if (t->std_stack && d != NULL && d->stacks != NULL) {
		dom_spin_lock(&d->lock);
		if (d->nstacks < DOM_STACK_CACHE) {
			d->stacks[d->nstacks++] = t->stack;
			dom_spin_unlock(&d->lock);
			t->stack.map = NULL;
			t->stack.base = NULL;
			t->stack.rec = NULL;
			return;
		}
		dom_spin_unlock(&d->lock);
	}
	mk_stack_destroy(&t->stack);
}

/* A green thread's record back to its pool (record.c): its handle reads
 * DEAD from now on. */
void dom_thread_free(struct dom_thread *t)
{
	dom_fiber_destroy(t);
	stack_put(t);
	t->magic = DOM_MAGIC_DEAD;
	dom_record_free(DOM_REC_THREAD, t);
}

/* Unlink from d->all and free. */
static void release(struct dom_thread *t)
{
	struct dom *d = t->dom;

	dom_spin_lock(&d->lock);
	LIST_REMOVE(t, all_link);
	dom_spin_unlock(&d->lock);
	dom_thread_free(t);
}

int dom_thread_spawn(struct dom *d, struct dom_thread **out, const struct dom_thread_attr *a,
		     void *(*fn)(void *), void *arg, bool service)
{
	static const struct dom_thread_attr dflt = {.vcpu = -1};
	struct dom_thread *t;
	const char *name;
	size_t ss;
	int r;

	if ((r = dom_check(d)) != 0)
		return r;
	if (a == NULL)
		a = &dflt;
	if (fn == NULL || (out == NULL && !a->detached) || a->vcpu < -1 ||
	    (a->vcpu >= 0 && (unsigned)a->vcpu >= d->nvcpu) || a->stack_size > ((size_t)256 << 20))
		return -EINVAL;
	name = a->name != NULL ? a->name : "green";
	if (strlen(name) > DOM_NAME_MAX)
		return -ENAMETOOLONG;
	ss = a->stack_size != 0 ? a->stack_size : d->stack_size;
	if ((t = dom_record_alloc(DOM_REC_THREAD)) == NULL)
		return -ENOMEM;
	strcpy(t->name, name);
	if ((r = stack_get(d, t, ss)) != 0) {
		t->magic = DOM_MAGIC_DEAD;
		dom_record_free(DOM_REC_THREAD, t);
		return r;
	}
	t->magic = DOM_MAGIC_THREAD;
	t->kind = DK_GREEN;
	t->detached = a->detached;
	t->fpenv = a->fpenv;
	t->service = service;
	t->dom = d;
	t->affinity = a->vcpu;
	t->fn = fn;
	t->arg = arg;
	dom_waitq_init(&t->joinq);
	mk_notification_init(&t->ntf, 0); /* used while detached */
	t->sp = dom_arch_init_stack((char *)t->stack.base + t->stack.size);
	dom_fiber_create(t);

	dom_spin_lock(&d->lock);
	if (atomic_load(&d->dying) && !service) {
		dom_spin_unlock(&d->lock);
		dom_thread_free(t);
		return -ESHUTDOWN;
	}
	LIST_INSERT_HEAD(&d->all, t, all_link);
	if (service)
		d->nservice++;
	else
		d->nthreads++;
	dom_spin_unlock(&d->lock);
	if (out != NULL)
		*out = a->detached ? NULL : t;
	DOM_TRACE(d, DOM_TR_THREAD_CREATE, t, dom_self_inline(), 0, t->name);
	dom_sched_push_new(t);
	return 0;
}

int dom_thread_create(struct dom *d, struct dom_thread **t, const struct dom_thread_attr *a,
		      void *(*fn)(void *), void *arg)
{
	return dom_thread_spawn(d, t, a, fn, arg, false);
}

int dom_thread_exit(void *ret)
{
	struct dom_thread *self = dom_self_inline();
	struct dom *d;

	/* A thread on a porter (dom_detach) exits from a vCPU: it goes back
	 * first, so its porter is free again and its stack is reaped the
	 * usual way. */
	if (self != NULL && self->kind == DK_HOST && self->porter != NULL)
		dom_reattach();
	if (self == NULL || self->kind != DK_GREEN)
		return -EPERM;
	d = self->dom;
	dom_assert_state(self, DOM_ST(TS_RUNNING), "exit");
	self->ret = ret;
	dom_spin_lock(&d->lock);
	if (!self->service)
		d->nthreads--;
	dom_spin_unlock(&d->lock);
	DOM_TRACE(self->dom, DOM_TR_THREAD_EXIT, self, 0, 0, self->name);
	atomic_store(&self->state, TS_ZOMBIE);
	dom_sched_switch_out(self);
	__builtin_unreachable();
}

/* Switch epilogue of an exited thread: its stack is no longer in use. */
void dom_thread_reap(struct dom_thread *t)
{
	struct dom *d = t->dom;
	struct dom_waiter *w;

	dom_assert(t->on_q == NULL, "thread %p '%s' reaped while on run queue %p", (void *)t,
		   t->name, t->on_q);
	if (t->service) {
		dom_spin_lock(&d->lock);
		if (--d->nservice == 0 && d->destroyer != NULL) {
			if (d->flags & DOM_CALLER_IS_VCPU0) {
				/* dom_destroy runs vCPU 0 itself: end its run */
				atomic_store(&d->run_stop, true);
				dom_sched_kick_vcpu(&d->vcpu[0]);
			} else {
				mk_notification_signal(&d->destroyer->ntf, 1);
			}
		}
		dom_spin_unlock(&d->lock);
	}
	if (t->detached) {
		release(t);
		return;
	}
	dom_spin_lock(&t->joinq.lock);
	t->dead = true;
	w = dom_waitq_claim_first(&t->joinq);
	dom_spin_unlock(&t->joinq.lock);
	if (w != NULL)
		dom_waiter_wake(w);
}

int dom_thread_join(struct dom_thread *t, void **ret)
{
	struct dom_thread *self = dom_self_inline();
	struct dom_waiter w;

	if (t == NULL)
		return -EINVAL;
	/* a green thread (possibly detached right now), not a host record */
	if (t->magic != DOM_MAGIC_THREAD || t->stack.base == NULL)
		return -EBADF;
	if (self == NULL)
		return -EPERM;
	if (t == self)
		return -EDEADLK;
	if (t->detached)
		return -EINVAL;
	dom_spin_lock(&t->joinq.lock);
	if (t->joining) {
		dom_spin_unlock(&t->joinq.lock);
		return -EBUSY;
	}
	t->joining = true;
	if (!t->dead)
		dom_waitq_block(&t->joinq, &w, self, 0, MK_FOREVER);
	else
		dom_spin_unlock(&t->joinq.lock);
	if (ret != NULL)
		*ret = t->ret;
	release(t);
	return 0;
}

/* dom_yield is in arch/<cpu>/switch.S, its C half in sched.c. */

int dom_sleep_until(uint64_t deadline_ns)
{
	struct dom_thread *self = dom_self_inline();
	struct dom_waiter w;

	if (self == NULL)
		return -EPERM;
	dom_waitq_block(NULL, &w, self, 0, deadline_ns);
	return 0;
}

int dom_sleep_ns(uint64_t ns)
{
	uint64_t now = mk_clock_now_ns();

	return dom_sleep_until(ns > MK_FOREVER - now ? MK_FOREVER - 1 : now + ns);
}

struct dom_thread *dom_self(void)
{
	return dom_self_inline();
}

void *dom_current(void)
{
	struct dom_thread *self = dom_self_inline();

	return self != NULL ? self->current : NULL;
}

int dom_current_set(void *p)
{
	struct dom_thread *self = dom_self_inline();

	if (self == NULL)
		return -EPERM;
	self->current = p;
	return 0;
}

/* The accessors refuse a stale handle (record.c) like every call. */
static bool live(const struct dom_thread *t)
{
	return t != NULL && t->magic == DOM_MAGIC_THREAD;
}

const char *dom_thread_name(const struct dom_thread *t)
{
	return live(t) ? t->name : NULL;
}

struct dom *dom_thread_dom(const struct dom_thread *t)
{
	return live(t) ? t->dom : NULL;
}

bool dom_thread_is_green(const struct dom_thread *t)
{
	return live(t) && t->kind == DK_GREEN;
}

/* ------------------------------------------------------------------ */
/* Host records and foreign entry                                       */

static void unbind(struct dom_thread *rec)
{
	struct dom *d = rec->dom;

	if (d == NULL)
		return;
	LIST_REMOVE(rec, all_link);
	rec->dom = NULL;
	rec->dom_serial = 0;
}

static void host_record_dtor(void *p)
{
	struct dom_thread *rec = p;

	dom_spin_lock(&host_lock);
	if (rec->dom != NULL && atomic_load(&rec->nest) != 0)
		dom_log(rec->dom, "host thread '", rec->name, "' exited while entered");
	unbind(rec);
	atomic_store(&rec->nest, 0);
	rec->current = NULL;
	LIST_INSERT_HEAD(&host_pool, rec, all_link);
	dom_spin_unlock(&host_lock);
	if (mk_tls_get(MK_TLS_DOM_CURRENT) == &rec->seat)
		mk_tls_set(MK_TLS_DOM_CURRENT, NULL);
}

struct dom_thread *dom_host_record(void)
{
	struct dom_thread *rec = mk_tls_get(MK_TLS_DOM_ENTRY);

	if (rec != NULL)
		return rec;
	if (mk_tls_set_destructor(MK_TLS_DOM_ENTRY, host_record_dtor) != 0)
		return NULL;
	dom_spin_lock(&host_lock);
	if ((rec = LIST_FIRST(&host_pool)) != NULL)
		LIST_REMOVE(rec, all_link);
	dom_spin_unlock(&host_lock);
	if (rec == NULL) {
		if ((rec = mk_mem_alloc(sizeof(*rec))) == NULL)
			return NULL;
		rec->magic = DOM_MAGIC_THREAD;
		rec->kind = DK_HOST;
		rec->seat.cur = rec;
		rec->affinity = -1;
		/* a host thread's waits (dom_call's answer, host waiters)
		 * poll first where idle vCPUs do (sched.c, "Idle poll") */
		mk_notification_init(&rec->ntf, dom_idle_poll_enabled() ? MK_SPIN : 0);
	}
	mk_thread_get_name(rec->name, sizeof(rec->name));
	mk_tls_set(MK_TLS_DOM_ENTRY, rec);
	return rec;
}

/* Called by dom_destroy: forget every host record bound to d. */
void dom_hosts_unbind_all(struct dom *d)
{
	dom_spin_lock(&host_lock);
	while (!LIST_EMPTY(&d->hosts))
		unbind(LIST_FIRST(&d->hosts));
	dom_spin_unlock(&host_lock);
}

/* Called by dom_destroy deciding (d->lock held, d->closing set): how
 * many host threads are entered in d; report: name them on the console. */
unsigned dom_hosts_entered(struct dom *d, bool report)
{
	struct dom_thread *r;
	unsigned n = 0;

	dom_spin_lock(&host_lock);
	LIST_FOREACH(r, &d->hosts, all_link) {
		if (atomic_load(&r->nest) == 0)
			continue;
		n++;
		if (report)
			dom_log(d, "destroy refused: host thread still entered: '", r->name, "'");
	}
	dom_spin_unlock(&host_lock);
	return n;
}

int dom_enter(struct dom *d)
{
	struct dom_seat *seat = mk_tls_get(MK_TLS_DOM_CURRENT);
	struct dom_thread *rec;
	int r;

	if ((r = dom_check(d)) != 0)
		return r;
	if (seat != NULL) {
		/* Already inside: a green thread or an entered host thread. */
		if (seat->cur->dom != d)
			return -EBUSY;
		atomic_fetch_add_explicit(&seat->cur->nest, 1, memory_order_relaxed);
		return 0;
	}
	rec = mk_tls_get(MK_TLS_DOM_ENTRY);
	if (rec == NULL && (rec = dom_host_record()) == NULL)
		return -ENOMEM;
	if (rec->dom_serial != d->serial) {
		dom_spin_lock(&host_lock);
		unbind(rec);
		rec->dom = d;
		rec->dom_serial = d->serial;
		LIST_INSERT_HEAD(&d->hosts, rec, all_link);
		dom_spin_unlock(&host_lock);
	}
	/* seq_cst store of nest, then load of closing: dom_destroy stores
	 * closing, then loads every nest.  One of us sees the other.  A
	 * destroy that is deciding holds d->lock: wait for its verdict. */
	atomic_store(&rec->nest, 1);
	if (atomic_load(&d->closing)) {
		dom_spin_lock(&d->lock);
		dom_spin_unlock(&d->lock);
	}
	if (atomic_load(&d->dying)) {
		atomic_store(&rec->nest, 0);
		return -ESHUTDOWN;
	}
	mk_tls_set(MK_TLS_DOM_CURRENT, &rec->seat);
	DOM_TRACE(d, DOM_TR_HOST_ENTER, rec, 0, 0, rec->name);
	return 0;
}

int dom_leave(struct dom *d)
{
	struct dom_seat *seat = mk_tls_get(MK_TLS_DOM_CURRENT);
	struct dom_thread *c;
	unsigned n;

	if (seat == NULL || (c = seat->cur)->dom != d)
		return -EPERM;
	n = atomic_load_explicit(&c->nest, memory_order_relaxed);
	if (n == 0)
		return -EPERM; /* a green thread that never entered */
	if (c->kind == DK_HOST && n == 1) {
		DOM_TRACE(d, DOM_TR_HOST_LEAVE, c, 0, 0, c->name);
		mk_tls_set(MK_TLS_DOM_CURRENT, NULL);
		atomic_store_explicit(&c->nest, 0, memory_order_release);
		return 0;
	}
	atomic_store_explicit(&c->nest, n - 1, memory_order_relaxed);
	return 0;
}
