/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Memory on Linux: the arena is the C heap, stacks are mmap'd with a
 * PROT_NONE guard (MK_STACK_GUARD bytes by default) below them, and a
 * SIGSEGV handler that runs on the host thread's alternate signal stack
 * names the green thread whose guard was hit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/queue.h>
#include <unistd.h>

#include "../mk_impl.h"
#include "fault.h"

static size_t put(char *buf, size_t at, size_t cap, const char *s);

#ifdef RUMPBRIDGE_ASAN
#include <sanitizer/asan_interface.h>
/* A green thread that exits never returns from its frames, so their
 * redzones stay poisoned in the shadow; the next stack mapped at the same
 * address would inherit them.  Clear the shadow of every stack. */
#define STACK_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define STACK_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

void *mk_mem_alloc(size_t size)
{
	void *p;

	if (size == 0 || size > SIZE_MAX - 63)
		return NULL;
	size = (size + 63) & ~(size_t)63;
	p = aligned_alloc(64, size);
	if (p != NULL)
		memset(p, 0, size);
	return p;
}

void mk_mem_free(void *p)
{
	free(p);
}

/*
 * The stack registry, for the fault handler.
 *
 * The handler runs in signal context, possibly while another thread
 * creates or destroys stacks, so it takes no lock and reads only memory
 * that is never freed: records live in chunks that are mmap'd once and
 * kept for the life of the process (chunk[] only grows, each entry
 * published with a release store).  A record is in use while its `lo`
 * (the start of the guard) is non-zero.  Writers (create, destroy) hold
 * reg_lock and bracket their stores with `seq` (odd while writing), so
 * the handler can tell a record that changed under it and read it again.
 * The handler gives a record that stays odd 100 tries, then skips it
 * (only a stack being created or destroyed is odd, and an overflowing
 * stack is neither).  Free records wait on an SLIST for reuse.
 */
#define REC_NAME 32
#define CHUNK_RECS 256
#define CHUNKS_MAX 4096 /* 1M stacks */

struct stack_rec {
	/* arena slot bound to this record for good (reg_lock; see below) */
	void *slot;
	void *cls; /* its struct stack_class; NULL: a mapping of its own */
	bool hard; /* PROT_NONE guard */
	_Atomic uintptr_t lo;	 /* guard start; 0: free */
	_Atomic uint32_t seq;	 /* odd while a writer changes the record */
	_Atomic size_t guard;	 /* guard bytes */
	_Atomic size_t size;	 /* usable bytes */
	_Atomic char name[REC_NAME]; /* reported on overflow; NUL-terminated */
	SLIST_ENTRY(stack_rec) free_link; /* reg_lock */
};

struct stack_chunk {
	struct stack_rec rec[CHUNK_RECS];
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct stack_chunk *_Atomic chunk[CHUNKS_MAX];
static unsigned nchunks; /* reg_lock */
static SLIST_HEAD(, stack_rec) free_recs = SLIST_HEAD_INITIALIZER(free_recs); /* reg_lock */

static size_t page(void)
{
	static _Atomic size_t ps;
	size_t p = atomic_load_explicit(&ps, memory_order_relaxed);

	if (p == 0) {
		p = (size_t)sysconf(_SC_PAGESIZE);
		atomic_store_explicit(&ps, p, memory_order_relaxed);
	}
	return p;
}

/* Under reg_lock: a free record, or NULL when out of memory. */
static struct stack_rec *rec_get(void)
{
	struct stack_rec *r = SLIST_FIRST(&free_recs);
	struct stack_chunk *c;

	if (r != NULL) {
		SLIST_REMOVE_HEAD(&free_recs, free_link);
		return r;
	}
	if (nchunks == CHUNKS_MAX)
		return NULL;
	c = mmap(NULL, sizeof(*c), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c == MAP_FAILED)
		return NULL;
	for (unsigned i = CHUNK_RECS - 1; i > 0; i--)
		SLIST_INSERT_HEAD(&free_recs, &c->rec[i], free_link);
	atomic_store_explicit(&chunk[nchunks++], c, memory_order_release);
	return &c->rec[0];
}

/* Every access to a record is a sequentially consistent atomic: the
 * handler's "seq, fields, seq again" then cannot see a field of a change
 * without also seeing the change's first seq increment.  (No fences:
 * ThreadSanitizer does not model them.)  Records change only at stack
 * create and destroy, beside an mmap, so the cost does not show. */
static void rec_publish(struct stack_rec *r, uintptr_t lo, size_t guard, size_t size,
			const char *name)
{
	size_t i;

	atomic_fetch_add(&r->seq, 1); /* odd */
	for (i = 0; i + 1 < REC_NAME && name[i] != '\0'; i++)
		atomic_store(&r->name[i], name[i]);
	atomic_store(&r->name[i], '\0');
	atomic_store(&r->guard, guard);
	atomic_store(&r->size, size);
	atomic_store(&r->lo, lo);
	atomic_fetch_add(&r->seq, 1); /* even */
}

static void rec_clear(struct stack_rec *r)
{
	atomic_fetch_add(&r->seq, 1);
	atomic_store(&r->lo, 0);
	atomic_fetch_add(&r->seq, 1);
}

/* Signal context: find the live stack whose guard holds addr and copy
 * what the report needs.  Lock-free; reads only never-freed records. */
static bool rec_find(uintptr_t addr, char name[REC_NAME], uintptr_t *lo, size_t *size)
{
	for (unsigned c = 0; c < CHUNKS_MAX; c++) {
		struct stack_chunk *ch = atomic_load_explicit(&chunk[c], memory_order_acquire);

		if (ch == NULL)
			break;
		for (unsigned i = 0; i < CHUNK_RECS; i++) {
			struct stack_rec *r = &ch->rec[i];

			for (int tries = 0; tries < 100; tries++) {
				uint32_t s1 = atomic_load(&r->seq);
				uintptr_t l = atomic_load(&r->lo);
				size_t g = atomic_load(&r->guard);
				size_t sz = atomic_load(&r->size);

				if (s1 & 1)
					continue; /* a writer is in the middle */
				if (l == 0 || addr < l || addr - l >= g)
					break;
				for (unsigned k = 0; k < REC_NAME; k++)
					name[k] = atomic_load(&r->name[k]);
				name[REC_NAME - 1] = '\0';
				if (atomic_load(&r->seq) != s1)
					continue;
				*lo = l;
				*size = sz;
				return true;
			}
		}
	}
	return false;
}

#define STACK_MAX ((size_t)1 << 30)

static size_t round_up(size_t v, size_t to)
{
	return (v + to - 1) & ~(to - 1);
}

/*
 * Stack layout: slots carved from arenas.
 *
 * A stack with its own mapping and a PROT_NONE guard costs two VMAs, and
 * vm.max_map_count (65,530 by default) then caps a process near 32,000
 * stacks.  So stacks of up to ARENA_SLOT_MAX bytes (guard included) are
 * slots of large MAP_NORESERVE arenas, one arena per (size, guard) class:
 * guard | stack | guard | stack ...  Memory is committed only when
 * touched, and a destroyed stack's pages go back to the host
 * (MADV_DONTNEED); its slot is reused for the next stack of its class.
 *
 * Guards: changing protection inside a mapping splits it, so a hard
 * (PROT_NONE) guard still costs two VMAs.  The first hard_budget slots
 * carved (a quarter of vm.max_map_count, or RUMPBRIDGE_STACK_HARD_GUARDS)
 * get hard guards: an overflow faults and is named by the handler below.
 * Slots carved beyond that get soft guards: the same range below the
 * stack, readable and writable but never touched by a correct thread, so
 * an overflow lands there and not in the stack below; it is detected when
 * the stack is destroyed (mincore: a resident guard page), reported on
 * the console, and mk_stack_destroy returns -EFAULT.  A slot keeps its
 * kind for the life of the process.
 */
#define ARENA_SLOT_MAX ((size_t)2 << 20)
#define ARENA_BYTES ((size_t)16 << 20)
#define CLASSES_MAX 16

struct stack_class {
	size_t size, guard;		  /* 0: class unused */
	char *next, *end;		  /* uncarved rest of the newest arena */
	SLIST_HEAD(, stack_rec) free;	  /* free slots (rec->slot set) */
};

static struct stack_class classes[CLASSES_MAX]; /* reg_lock */
static long hard_budget = -1;			/* reg_lock; -1: not read yet */
static _Atomic unsigned long stat_hard, stat_soft;

static long read_budget(void)
{
	const char *e = getenv("RUMPBRIDGE_STACK_HARD_GUARDS");
	long max = 65530;
	char buf[32];
	ssize_t n;
	int fd;

	if (e != NULL && *e != '\0')
		return strtol(e, NULL, 10);
	if ((fd = open("/proc/sys/vm/max_map_count", O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = '\0';
			if (strtol(buf, NULL, 10) > 0)
				max = strtol(buf, NULL, 10);
		}
	}
	return max / 4;
}

/* Under reg_lock: the class for (size, guard), or NULL (table full). */
static struct stack_class *class_get(size_t size, size_t guard)
{
	for (unsigned i = 0; i < CLASSES_MAX; i++) {
		struct stack_class *c = &classes[i];

		if (c->size == size && c->guard == guard)
			return c;
		if (c->size == 0) {
			c->size = size;
			c->guard = guard;
			SLIST_INIT(&c->free);
			return c;
		}
	}
	return NULL;
}

/* Under reg_lock: carve a new slot of c into rec (rec->slot, ->hard), or
 * -ENOMEM. */
static int slot_carve(struct stack_class *c, struct stack_rec *rec)
{
	size_t len = c->size + c->guard;

	if (c->next == NULL || (size_t)(c->end - c->next) < len) {
		size_t n = ARENA_BYTES / len < 8 ? 8 : ARENA_BYTES / len;
		void *m = mmap(NULL, n * len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		if (m == MAP_FAILED)
			return -ENOMEM;
		/* Huge pages would commit 2 MiB for one touched stack page
		 * and make the soft guards around it look resident. */
		madvise(m, n * len, MADV_NOHUGEPAGE);
		c->next = m;
		c->end = (char *)m + n * len;
	}
	if (hard_budget < 0)
		hard_budget = read_budget();
	rec->hard = false;
	if ((long)atomic_load_explicit(&stat_hard, memory_order_relaxed) < hard_budget &&
	    mprotect(c->next, c->guard, PROT_NONE) == 0)
		rec->hard = true;
	atomic_fetch_add_explicit(rec->hard ? &stat_hard : &stat_soft, 1, memory_order_relaxed);
	rec->slot = c->next;
	rec->cls = c;
	c->next += len;
	return 0;
}

void mk_stack_stats(unsigned long *hard, unsigned long *soft)
{
	if (hard != NULL)
		*hard = atomic_load_explicit(&stat_hard, memory_order_relaxed);
	if (soft != NULL)
		*soft = atomic_load_explicit(&stat_soft, memory_order_relaxed);
}

int mk_stack_create_guard(struct mk_stack *s, size_t size, size_t guard, const char *name)
{
	size_t ps = page(), len;
	struct stack_class *c = NULL;
	struct stack_rec *rec;
	void *m = MAP_FAILED;

	if (s == NULL || size == 0 || size > STACK_MAX || guard > MK_STACK_GUARD_MAX)
		return -EINVAL;
	if (size < MK_STACK_MIN)
		size = MK_STACK_MIN;
	if (guard == 0)
		guard = MK_STACK_GUARD;
	size = round_up(size, ps);
	guard = round_up(guard, ps);
	len = size + guard;
	if (name == NULL)
		name = "?";
	pthread_mutex_lock(&reg_lock);
	if (len <= ARENA_SLOT_MAX && (c = class_get(size, guard)) != NULL &&
	    (rec = SLIST_FIRST(&c->free)) != NULL) {
		SLIST_REMOVE_HEAD(&c->free, free_link);
		m = rec->slot;
	} else if ((rec = rec_get()) != NULL && c != NULL) {
		if (slot_carve(c, rec) == 0) {
			m = rec->slot;
		} else {
			SLIST_INSERT_HEAD(&free_recs, rec, free_link);
			rec = NULL;
		}
	}
	pthread_mutex_unlock(&reg_lock);
	if (rec == NULL)
		return -ENOMEM;
	if (c == NULL) {
		/* too large for an arena: a mapping of its own */
		rec->slot = NULL;
		rec->cls = NULL;
		rec->hard = true;
		m = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m != MAP_FAILED && mprotect(m, guard, PROT_NONE) != 0) {
			munmap(m, len);
			m = MAP_FAILED;
		}
	}
	pthread_mutex_lock(&reg_lock);
	if (m == MAP_FAILED)
		SLIST_INSERT_HEAD(&free_recs, rec, free_link);
	else
		rec_publish(rec, (uintptr_t)m, guard, size, name);
	pthread_mutex_unlock(&reg_lock);
	if (m == MAP_FAILED)
		return -ENOMEM;
	STACK_UNPOISON(m, len);
	s->map = m;
	s->map_size = len;
	s->base = (char *)m + guard;
	s->size = size;
	s->guard = guard;
	s->name = name;
	s->rec = rec;
	return 0;
}

int mk_stack_create(struct mk_stack *s, size_t size, const char *name)
{
	return mk_stack_create_guard(s, size, 0, name);
}

int mk_stack_reuse(struct mk_stack *s, const char *name)
{
	struct stack_rec *r;

	if (s == NULL || s->map == NULL || (r = s->rec) == NULL)
		return -EINVAL;
	if (name == NULL)
		name = "?";
	STACK_UNPOISON(s->map, s->map_size);
	s->name = name;
	/* Only the stack's owner writes its record, so it may compare
	 * without the lock: the same name (a pool of like threads) costs
	 * nothing more. */
	if (atomic_load_explicit(&r->lo, memory_order_relaxed) == (uintptr_t)s->map) {
		size_t i;

		for (i = 0; i + 1 < REC_NAME && name[i] != '\0'; i++)
			if (atomic_load_explicit(&r->name[i], memory_order_relaxed) != name[i])
				break;
		if ((i + 1 == REC_NAME || name[i] == '\0') &&
		    atomic_load_explicit(&r->name[i], memory_order_relaxed) == '\0')
			return 0;
	}
	pthread_mutex_lock(&reg_lock);
	if (atomic_load(&r->lo) != (uintptr_t)s->map) {
		pthread_mutex_unlock(&reg_lock);
		return -EINVAL;
	}
	rec_publish(r, (uintptr_t)s->map, s->guard, s->size, name);
	pthread_mutex_unlock(&reg_lock);
	return 0;
}

/* A soft guard that has a resident page was written (or read) by an
 * overflow of the stack above it. */
static bool soft_guard_hit(const struct mk_stack *s)
{
	unsigned char vec[ARENA_SLOT_MAX / 4096];
	size_t n = s->guard / page();

	if (n > sizeof(vec) || mincore(s->map, s->guard, vec) != 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (vec[i] & 1)
			return true;
	return false;
}

int mk_stack_destroy(struct mk_stack *s)
{
	struct stack_rec *r;
	bool hit = false;

	if (s == NULL || s->map == NULL || (r = s->rec) == NULL)
		return -EINVAL;
	if (r->cls != NULL) {
		/* An arena slot: hand its pages back, keep the slot. */
		if (!r->hard && (hit = soft_guard_hit(s))) {
			char buf[128];
			size_t n = 0;

			n = put(buf, n, sizeof(buf), "rumpbridge: stack overflow in green thread '");
			n = put(buf, n, sizeof(buf), s->name != NULL ? s->name : "?");
			n = put(buf, n, sizeof(buf), "' (found in its soft guard at release)\n");
			mk_console_write(buf, n);
		}
		STACK_UNPOISON(s->map, s->map_size);
		madvise(hit ? s->map : s->base, hit ? s->map_size : s->size, MADV_DONTNEED);
		pthread_mutex_lock(&reg_lock);
		rec_clear(r);
		SLIST_INSERT_HEAD(&((struct stack_class *)r->cls)->free, r, free_link);
		pthread_mutex_unlock(&reg_lock);
	} else {
		pthread_mutex_lock(&reg_lock);
		rec_clear(r);
		SLIST_INSERT_HEAD(&free_recs, r, free_link);
		pthread_mutex_unlock(&reg_lock);
		STACK_UNPOISON(s->map, s->map_size);
		munmap(s->map, s->map_size);
	}
	s->map = NULL;
	s->base = NULL;
	s->rec = NULL;
	return hit ? -EFAULT : 0;
}

/* ---- fault reporting ---- */

static struct sigaction old_segv, old_bus;
static pthread_once_t fault_once = PTHREAD_ONCE_INIT;

static size_t put(char *buf, size_t at, size_t cap, const char *s)
{
	while (*s != '\0' && at < cap)
		buf[at++] = *s++;
	return at;
}

static size_t put_hex(char *buf, size_t at, size_t cap, uintptr_t v)
{
	char tmp[2 + 16];
	int n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v != 0);
	at = put(buf, at, cap, "0x");
	while (n > 0 && at < cap)
		buf[at++] = tmp[--n];
	return at;
}

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
	uintptr_t a = (uintptr_t)si->si_addr, lo;
	struct sigaction *old = sig == SIGSEGV ? &old_segv : &old_bus;
	char name[REC_NAME];
	size_t size;

	if (rec_find(a, name, &lo, &size)) {
		char buf[256];
		size_t n = 0;

		n = put(buf, n, sizeof(buf), "rumpbridge: stack overflow in green thread '");
		n = put(buf, n, sizeof(buf), name);
		n = put(buf, n, sizeof(buf), "' (hit the guard below its stack at ");
		n = put_hex(buf, n, sizeof(buf), a);
		n = put(buf, n, sizeof(buf), ", guard from ");
		n = put_hex(buf, n, sizeof(buf), lo);
		n = put(buf, n, sizeof(buf), ", stack of ");
		n = put_hex(buf, n, sizeof(buf), size);
		n = put(buf, n, sizeof(buf), " bytes)\n");
		if (write(STDERR_FILENO, buf, n) < 0) {
			/* nothing more we can do */
		}
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	/* Not ours: hand it on to whoever was installed before us. */
	if ((old->sa_flags & SA_SIGINFO) && old->sa_sigaction != NULL) {
		old->sa_sigaction(sig, si, ctx);
	} else if (old->sa_handler != SIG_DFL && old->sa_handler != SIG_IGN &&
		   old->sa_handler != NULL) {
		old->sa_handler(sig);
	} else {
		/* Returning re-executes the faulting access with the default
		 * action in place: the process dies as it would have. */
		signal(sig, SIG_DFL);
	}
}

static void fault_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGBUS, &sa, &old_bus);
}

void mk_fault_install(void)
{
	pthread_once(&fault_once, fault_init);
}

static __thread void *alt;
static __thread size_t alt_size;

static size_t alt_stack_size(void)
{
	size_t sz = 64 * 1024;
#ifdef _SC_SIGSTKSZ
	/* The kernel's figure for this CPU (AVX-512, SVE frames are big). */
	long k = sysconf(_SC_SIGSTKSZ);

	if (k > 0 && (size_t)k * 4 > sz)
		sz = round_up((size_t)k * 4, page());
#endif
	return sz;
}

void mk_fault_release_thread(void)
{
	stack_t ss = {.ss_flags = SS_DISABLE};

	if (alt == NULL)
		return;
	sigaltstack(&ss, NULL);
	munmap(alt, alt_size);
	alt = NULL;
}

int mk_fault_prepare_thread(void)
{
	stack_t ss;
	size_t sz;
	void *m;
	int e;

	if (alt != NULL)
		return 0;
	/* Leave an existing alternate stack (a sanitizer's) in place. */
	if (sigaltstack(NULL, &ss) == 0 && !(ss.ss_flags & SS_DISABLE))
		return 0;
	sz = alt_stack_size();
	m = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -ENOMEM;
	ss.ss_sp = m;
	ss.ss_size = sz;
	ss.ss_flags = 0;
	if (sigaltstack(&ss, NULL) != 0) {
		/* EPERM: called on the alternate stack (it is in use); the
		 * rest is size or memory trouble.  Nothing is installed. */
		e = errno == EPERM ? -EBUSY : -ENOMEM;
		munmap(m, sz);
		return e;
	}
	alt = m;
	alt_size = sz;
	return 0;
}
