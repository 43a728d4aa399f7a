/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Memory on Linux: the arena is the C heap, stacks are mmap'd with a
 * PROT_NONE guard (MK_STACK_GUARD bytes by default) below them, and a
 * SIGSEGV handler that runs on the host thread's alternate signal stack
 * names the green thread whose guard was hit.
 */
#define _GNU_SOURCE
#include <errno.h>
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

int mk_stack_create_guard(struct mk_stack *s, size_t size, size_t guard, const char *name)
{
	size_t ps = page(), len;
	struct stack_rec *rec;
	void *m;

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
	rec = rec_get();
	pthread_mutex_unlock(&reg_lock);
	if (rec == NULL)
		return -ENOMEM;
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	if (m != MAP_FAILED && mprotect(m, guard, PROT_NONE) != 0) {
		munmap(m, len);
		m = MAP_FAILED;
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

int mk_stack_destroy(struct mk_stack *s)
{
	if (s == NULL || s->map == NULL || s->rec == NULL)
		return -EINVAL;
	pthread_mutex_lock(&reg_lock);
	rec_clear(s->rec);
	SLIST_INSERT_HEAD(&free_recs, (struct stack_rec *)s->rec, free_link);
	pthread_mutex_unlock(&reg_lock);
	STACK_UNPOISON(s->map, s->map_size);
	munmap(s->map, s->map_size);
	s->map = NULL;
	s->base = NULL;
	s->rec = NULL;
	return 0;
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
