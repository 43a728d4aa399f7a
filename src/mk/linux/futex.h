/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal to src/mk/linux: the futex system call. */
#ifndef MK_LINUX_FUTEX_H
#define MK_LINUX_FUTEX_H

#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <rumpbridge/mk.h>

/* Private futexes are cheaper (no mm lookup); shared ones work between
 * processes that map the word. */
static inline int mk_futex_op(bool shared, int op)
{
	return shared ? op : (op | FUTEX_PRIVATE_FLAG);
}

/* Sleep while *word == expect, until deadline_ns (MK_FOREVER: none).
 * Returns 0 (woken or value changed or signal) or -ETIMEDOUT. */
static inline int mk_futex_wait(_Atomic uint32_t *word, uint32_t expect, uint64_t deadline_ns,
				bool shared)
{
	struct timespec ts, *tp = NULL;
	long r;

	if (deadline_ns != MK_FOREVER) {
		ts.tv_sec = (time_t)(deadline_ns / 1000000000u);
		ts.tv_nsec = (long)(deadline_ns % 1000000000u);
		tp = &ts;
	}
	/* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC deadline, which
	 * is exactly mk_clock_now_ns() time. */
	r = syscall(SYS_futex, word, mk_futex_op(shared, FUTEX_WAIT_BITSET), expect, tp, NULL,
		    FUTEX_BITSET_MATCH_ANY);
	if (r == -1 && errno == ETIMEDOUT)
		return -ETIMEDOUT;
	return 0;
}

#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449 /* the same number on every architecture */
#endif

/* futex_waitv(2) (Linux 5.16): sleep until one of the words no longer holds
 * its value or a futex_wake on one of them picks this thread, or until
 * deadline_ns (CLOCK_MONOTONIC, absolute).  Returns 0 (woken), -EAGAIN (a
 * value differed on entry), -ETIMEDOUT, -EINTR, or -ENOSYS. */
static inline int mk_futex_waitv(struct futex_waitv *w, unsigned n, uint64_t deadline_ns)
{
	struct timespec ts, *tp = NULL;

	if (deadline_ns != MK_FOREVER) {
		ts.tv_sec = (time_t)(deadline_ns / 1000000000u);
		ts.tv_nsec = (long)(deadline_ns % 1000000000u);
		tp = &ts;
	}
	if (syscall(SYS_futex_waitv, w, n, 0, tp, CLOCK_MONOTONIC) == -1)
		return -errno;
	return 0;
}

/* One entry of a futex_waitv array: wait while *word == expect. */
static inline struct futex_waitv mk_futex_waitv_entry(_Atomic uint32_t *word, uint32_t expect,
						      bool shared)
{
	return (struct futex_waitv){
		.val = expect,
		.uaddr = (uint64_t)(uintptr_t)word,
		.flags = FUTEX_32 | (shared ? 0 : FUTEX_PRIVATE_FLAG),
	};
}

static inline void mk_futex_wake(_Atomic uint32_t *word, int n, bool shared)
{
	syscall(SYS_futex, word, mk_futex_op(shared, FUTEX_WAKE), n, NULL, NULL, 0);
}

/*
 * A three-state futex mutex (Drepper, "Futexes are tricky", mutex2):
 * 0 free, 1 locked, 2 locked with possible sleepers.  Used for the short
 * critical sections of shared objects (the endpoint's queue), where it
 * must work between processes.
 */
static inline void mk_futex_lock(_Atomic uint32_t *l, bool shared)
{
	uint32_t c = 0;

	if (atomic_compare_exchange_strong(l, &c, 1))
		return;
	if (c != 2)
		c = atomic_exchange(l, 2);
	while (c != 0) {
		mk_futex_wait(l, 2, MK_FOREVER, shared);
		c = atomic_exchange(l, 2);
	}
}

static inline void mk_futex_unlock(_Atomic uint32_t *l, bool shared)
{
	if (atomic_exchange(l, 0) == 2)
		mk_futex_wake(l, 1, shared);
}

#endif
