/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The atomics of the wait and wake-up protocol, for one vCPU or many.
 *
 * Multi-vCPU builds (Linux): dom_atomic_* are the C11 atomics they name,
 * with the memory order given (the same calls as written out, so the
 * objects do not change).
 *
 * One-vCPU builds (DOM_ONE_VCPU: a Microkit PD, one seL4 thread): every
 * part of a domain runs on that one thread, one instruction after the
 * other.  Its two contexts (the vCPU context and the PD context that
 * runs notified()/protected(), src/mk/microkit/pd.c) take turns only at
 * calls the compiler cannot see into (the switches, in assembly), and
 * nothing runs in the PD between two of its instructions: seL4 delivers a
 * notification to a Microkit PD only as the return of its seL4_Recv in
 * libmicrokit's event loop (the SDK's libmicrokit.a: main calls init()
 * once, then loops on the receive system call and calls notified() or
 * protected() after it returns, i.e. after the vCPU context has
 * suspended: mk_pd_suspend), faults go to the PD's parent or the
 * monitor, and there are no signals or upcalls that interrupt a running
 * PD thread.  So here a read-modify-write is a load
 * and a store, and a load or store of any order a relaxed one: plain
 * LDR/STR on AArch64, where the C11 read-modify-writes are load/store-
 * exclusive loops (ARMv8.0, no LSE) and the seq_cst loads and stores
 * LDAR/STLR; under QEMU every loop's branch ends a translation block
 * (docs/microkit.md, "Benchmark").  The signal fences (compiler barriers,
 * no instruction) keep the compiler from moving other memory accesses
 * across them, so the code keeps the order the multi-vCPU build's
 * atomics give it.  Relaxed atomic accesses, not plain ones: the objects
 * are _Atomic, shared with the Linux build's headers.
 *
 * Only for objects of a domain (the one-vCPU build's notifications are
 * the backend's, src/mk/microkit/notification.c, which does the same).
 */
#ifndef DOM_ATOMIC_H
#define DOM_ATOMIC_H

#include <stdatomic.h>
#include <stdbool.h>

#ifndef DOM_ONE_VCPU
#define DOM_ONE_VCPU 0
#endif

#if DOM_ONE_VCPU

/* A compiler barrier: orders nothing between threads (there is one). */
#define dom_atomic_barrier() atomic_signal_fence(memory_order_seq_cst)

/* (the order is evaluated, unused: a variable that holds it stays used) */
#define dom_atomic_load(p, mo) ((void)(mo), atomic_load_explicit((p), memory_order_relaxed))

#define dom_atomic_store(p, v, mo)                                                                 \
	do {                                                                                       \
		(void)(mo);                                                                        \
		dom_atomic_barrier();                                                              \
		atomic_store_explicit((p), (v), memory_order_relaxed);                             \
		dom_atomic_barrier();                                                              \
	} while (0)

/* *p = the expression nv (of the old value o_), the old value: a load
 * and a store */
#define dom_atomic_update_(p, nv)                                                                  \
	__extension__({                                                                            \
		__typeof__(p) p_ = (p);                                                            \
		__typeof__(atomic_load_explicit(p_, memory_order_relaxed)) o_;                     \
		dom_atomic_barrier();                                                              \
		o_ = atomic_load_explicit(p_, memory_order_relaxed);                               \
		atomic_store_explicit(p_, (nv), memory_order_relaxed);                             \
		dom_atomic_barrier();                                                              \
		o_;                                                                                \
	})

#define dom_atomic_exchange(p, v, mo) dom_atomic_update_(p, (v))

/* Strong compare-and-exchange: true and *p = v if *p == *e, else false
 * and *e = *p. */
#define dom_atomic_cas(p, e, v, mo)                                                                \
	__extension__({                                                                            \
		__typeof__(p) p_ = (p);                                                            \
		__typeof__(e) e_ = (e);                                                            \
		__typeof__(*e_) o_;                                                                \
		bool ok_;                                                                          \
		dom_atomic_barrier();                                                              \
		o_ = atomic_load_explicit(p_, memory_order_relaxed);                               \
		ok_ = o_ == *e_;                                                                   \
		if (ok_)                                                                           \
			atomic_store_explicit(p_, (v), memory_order_relaxed);                      \
		else                                                                               \
			*e_ = o_;                                                                  \
		dom_atomic_barrier();                                                              \
		ok_;                                                                               \
	})

#define dom_atomic_fetch_add(p, v, mo) dom_atomic_update_(p, o_ + (v))
#define dom_atomic_fetch_sub(p, v, mo) dom_atomic_update_(p, o_ - (v))
#define dom_atomic_fetch_or(p, v, mo) dom_atomic_update_(p, o_ | (v))
#define dom_atomic_fetch_and(p, v, mo) dom_atomic_update_(p, o_ & (v))

#else /* many vCPUs: the C11 atomics */

#define dom_atomic_load(p, mo) atomic_load_explicit((p), (mo))
#define dom_atomic_store(p, v, mo) atomic_store_explicit((p), (v), (mo))
#define dom_atomic_exchange(p, v, mo) atomic_exchange_explicit((p), (v), (mo))
/* strong; the failure order is the success order's (as used here:
 * seq_cst or relaxed) */
#define dom_atomic_cas(p, e, v, mo) atomic_compare_exchange_strong_explicit((p), (e), (v), (mo), (mo))
#define dom_atomic_fetch_add(p, v, mo) atomic_fetch_add_explicit((p), (v), (mo))
#define dom_atomic_fetch_sub(p, v, mo) atomic_fetch_sub_explicit((p), (v), (mo))
#define dom_atomic_fetch_or(p, v, mo) atomic_fetch_or_explicit((p), (v), (mo))
#define dom_atomic_fetch_and(p, v, mo) atomic_fetch_and_explicit((p), (v), (mo))

#endif

#endif
