/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Memory on Linux: the arena is the C heap, stacks are mmap'd with a
 * PROT_NONE guard page below them, and a SIGSEGV handler that runs on the
 * host thread's alternate signal stack names the green thread whose guard
 * page was hit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

/* Live stacks, for the fault handler.  Changed under stacks_lock; the
 * handler reads it without the lock, which is fine because it only runs
 * when the process is about to die anyway. */
static pthread_mutex_t stacks_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mk_stack *stacks;
static size_t page_size;

#define STACK_MAX ((size_t)1 << 30)

int mk_stack_create(struct mk_stack *s, size_t size, const char *name)
{
	size_t ps, len;
	void *m;

	if (s == NULL || size == 0 || size > STACK_MAX)
		return -EINVAL;
	ps = (size_t)sysconf(_SC_PAGESIZE);
	size = (size + ps - 1) & ~(ps - 1);
	len = size + ps;
	m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	if (m == MAP_FAILED)
		return -ENOMEM;
	if (mprotect(m, ps, PROT_NONE) != 0) {
		munmap(m, len);
		return -ENOMEM;
	}
	STACK_UNPOISON(m, len);
	s->map = m;
	s->map_size = len;
	s->base = (char *)m + ps;
	s->size = size;
	s->name = name != NULL ? name : "?";
	pthread_mutex_lock(&stacks_lock);
	page_size = ps;
	s->prev = NULL;
	s->next = stacks;
	if (stacks != NULL)
		stacks->prev = s;
	stacks = s;
	pthread_mutex_unlock(&stacks_lock);
	return 0;
}

int mk_stack_destroy(struct mk_stack *s)
{
	if (s == NULL || s->map == NULL)
		return -EINVAL;
	pthread_mutex_lock(&stacks_lock);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		stacks = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	pthread_mutex_unlock(&stacks_lock);
	STACK_UNPOISON(s->map, s->map_size);
	munmap(s->map, s->map_size);
	s->map = NULL;
	s->base = NULL;
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
	uintptr_t a = (uintptr_t)si->si_addr;
	struct sigaction *old = sig == SIGSEGV ? &old_segv : &old_bus;

	for (struct mk_stack *s = stacks; s != NULL; s = s->next) {
		uintptr_t lo = (uintptr_t)s->map;

		if (a >= lo && a < lo + page_size) {
			char buf[256];
			size_t n = 0;

			n = put(buf, n, sizeof(buf), "rumpbridge: stack overflow in green thread '");
			n = put(buf, n, sizeof(buf), s->name);
			n = put(buf, n, sizeof(buf), "' (hit the guard page at ");
			n = put_hex(buf, n, sizeof(buf), lo);
			n = put(buf, n, sizeof(buf), ", stack of ");
			n = put_hex(buf, n, sizeof(buf), s->size);
			n = put(buf, n, sizeof(buf), " bytes)\n");
			if (write(STDERR_FILENO, buf, n) < 0) {
				/* nothing more we can do */
			}
			signal(sig, SIG_DFL);
			raise(sig);
			return;
		}
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
#define ALT_SIZE (64 * 1024)

void mk_fault_release_thread(void)
{
	stack_t ss = {.ss_flags = SS_DISABLE};

	if (alt == NULL)
		return;
	sigaltstack(&ss, NULL);
	munmap(alt, ALT_SIZE);
	alt = NULL;
}

int mk_fault_prepare_thread(void)
{
	stack_t ss;
	size_t sz = ALT_SIZE;

	if (alt != NULL)
		return 0;
	/* Leave an existing alternate stack (a sanitizer's) in place. */
	if (sigaltstack(NULL, &ss) == 0 && !(ss.ss_flags & SS_DISABLE))
		return 0;
	alt = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (alt == MAP_FAILED) {
		alt = NULL;
		return -ENOMEM;
	}
	ss.ss_sp = alt;
	ss.ss_size = sz;
	ss.ss_flags = 0;
	if (sigaltstack(&ss, NULL) != 0)
		return -ENOMEM;
	return 0;
}
