/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mk: microkernel objects with seL4 semantics.
 *
 * The layer that talks to the host for threads, blocking, memory, stacks,
 * time and shared memory.  dom uses these calls, C11 atomics and string.h,
 * nothing else, so that a second backend (seL4: seL4_Signal/seL4_Wait/
 * seL4_Poll, TCBs) is a matter of one folder.  The Linux backend lives in
 * src/mk/linux/.
 *
 * rumpuser is not host-independent: it implements hypercalls whose very
 * job is a host service, and calls the C library for those directly --
 * malloc/posix_memalign/calloc/free and mmap/munmap (rumpuser_malloc,
 * rumpuser_anonmmap, its request records); open, close, stat, ioctl
 * (BLKGETSIZE64), pread/pwrite/preadv/pwritev and fdatasync (the file and
 * block-device hypercalls); clock_gettime(CLOCK_REALTIME) (the wall
 * clock); getrandom; getenv, gethostname, getpid and sysconf (parameters);
 * raise/kill, exit and abort; fprintf/snprintf/vsnprintf (messages); and
 * dl_iterate_phdr with open/pread of ELF headers (module discovery).  Its
 * threads, locks, sleeps, events and monotonic time go through dom and mk
 * only.
 *
 * Conventions, for every function below:
 *   - 0 (or a non-negative count) on success, a negative errno value on
 *     failure; results come back through out-parameters.  No errno global
 *     is read or written.
 *   - -EINVAL: a NULL object or out-parameter, or an argument outside its
 *     documented range.
 *   - -EBADF: the object was destroyed (or never initialised).
 *   - -EPROTOTYPE: the pointer names an mk object of another kind (an
 *     endpoint passed where a notification is expected, ...).
 *   Bad input never aborts.  mk_strerror() names every code.
 *
 * Objects are plain structs so they can be placed anywhere, in particular
 * inside a shared region (mk_region_at) to be used by several processes.
 * Their fields are private to the backend.
 */
#ifndef RUMPBRIDGE_MK_H
#define RUMPBRIDGE_MK_H

#include <errno.h> /* the E* codes the functions return */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/*
 * MK_ATOMIC(T): a private field the backend accesses atomically.  C11
 * code sees _Atomic T.  C++ and C99, which have no _Atomic and never
 * touch private fields, see a plain T: the same size and alignment
 * (asserted below for each T the headers use), so the structs have one
 * layout in every language and a C++ or C99 program may embed them.
 */
#if !defined(__cplusplus) && defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L && \
	!defined(__STDC_NO_ATOMICS__)
#include <stdatomic.h> /* the library's C11 sources use it through this header */
#define MK_ATOMIC(T) _Atomic T
#define MK_ATOMIC_SAME_LAYOUT_(T)                                                      \
	_Static_assert(sizeof(_Atomic T) == sizeof(T) && _Alignof(_Atomic T) == _Alignof(T), \
		       "_Atomic " #T " and " #T " differ: C++ and C99 would see another layout")
MK_ATOMIC_SAME_LAYOUT_(uint32_t);
MK_ATOMIC_SAME_LAYOUT_(uint64_t);
MK_ATOMIC_SAME_LAYOUT_(uintptr_t);
#undef MK_ATOMIC_SAME_LAYOUT_
#else
#define MK_ATOMIC(T) T
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Spinning                                                             */

/* The hint a spin-wait loop gives the CPU on each turn (x86-64 pause,
 * AArch64 yield, nothing elsewhere): the other hardware thread of the
 * core runs meanwhile.  any context.  No errors. */
static inline void mk_cpu_relax(void)
{
#if defined(__x86_64__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#endif
}

/* ------------------------------------------------------------------ */
/* Errors                                                               */

/* A static English description of a negative (or positive) errno code. */
const char *mk_strerror(int err);

/* ------------------------------------------------------------------ */
/* Console                                                              */

/* Write len bytes to the diagnostic console (stderr on Linux, the debug
 * UART on seL4).  Never fails visibly; any thread. */
void mk_console_write(const char *s, size_t len);

/* Format like vsnprintf into buf (at most n - 1 characters and a NUL when
 * n > 0) and return the length the whole output would have.  Linux: the
 * C library's vsnprintf.  A Microkit PD has no C library: its backend's own
 * formatter knows flags '-' '0', a width, the lengths h hh l ll z j t and
 * the conversions d i u x X o p s c %% (no floating point).  Never fails;
 * any thread. */
int mk_console_vformat(char *buf, size_t n, const char *fmt, va_list ap);

/* mk_console_vformat into a buffer of MK_CONSOLE_LINE bytes, then
 * mk_console_write: a longer output is cut to MK_CONSOLE_LINE - 1
 * characters.  Returns the length the whole output would have.  Never
 * fails; any thread (one call, one write: lines of two threads do not
 * mix). */
#define MK_CONSOLE_LINE 512
int mk_console_printf(const char *fmt, ...) __attribute__((__format__(__printf__, 1, 2)));
int mk_console_vprintf(const char *fmt, va_list ap);

/* Stop the program at once after an unrecoverable error (the caller has
 * written why to the console): abort() on Linux; on a Microkit PD a fault
 * (brk) that the PD's fault handler hears of.  Never returns. */
void mk_halt(void) __attribute__((__noreturn__));

/* ------------------------------------------------------------------ */
/* Clock                                                                */

/* Monotonic time in nanoseconds since an arbitrary origin (CLOCK_MONOTONIC
 * on Linux).  Never blocks; any thread. */
uint64_t mk_clock_now_ns(void);

/* Deadline meaning "never". */
#define MK_FOREVER UINT64_MAX

/* ------------------------------------------------------------------ */
/* Notification: one 64-bit word of badge bits (seL4 notification).     */

/* The object will be used by several processes (it lives in a region). */
#define MK_SHARED 0x1u
/* Poll before sleeping, bounded and adaptive.  Endpoints: a caller polls
 * for its reply, and a server for the next call (see mk_endpoint_init).
 * Notifications (Linux backend): a waiter polls the word (see
 * mk_notification_init). */
#define MK_SPIN 0x2u

struct mk_notification {
	uint32_t magic;		 /* private */
	uint32_t flags;		 /* private */
	MK_ATOMIC(uint32_t) seq;	 /* private: futex word, bumped per wake */
	MK_ATOMIC(uint32_t) waiters; /* private: threads inside wait */
	MK_ATOMIC(uint64_t) word;	 /* private: pending badge bits */
	MK_ATOMIC(uint32_t) sig_cpu; /* private: the last signaller's CPU (MK_SPIN) */
	uint32_t pad_;		 /* private */
};

/* Initialise n, empty.  flags: 0, MK_SHARED, MK_SPIN or both.  MK_SHARED
 * is needed whenever more than one process uses n, as waiter or
 * signaller (a process-private futex wake does not reach another
 * process).  With MK_SPIN (Linux backend) a waiter polls the word before
 * it sleeps, so that a signaller on another CPU finds no waiter and makes
 * no system call: for 1.5 times the recent average of this thread's waits
 * on MK_SPIN notifications (5..50 us) while that average is at most
 * 50 us, not at all when it is longer or when the last signaller ran on
 * this thread's CPU; RUMPBRIDGE_NOTIFICATION_SPIN=0 turns the polls off.
 * Errors: -EINVAL (n NULL, unknown flag; the Microkit backend knows
 * neither MK_SPIN nor, with -ENOTSUP, MK_SHARED). */
int mk_notification_init(struct mk_notification *n, unsigned flags);

/* Destroy n.  Errors: -EINVAL, -EBADF (already destroyed), -EPROTOTYPE,
 * -EBUSY (a thread is waiting on it; nothing is changed). */
int mk_notification_destroy(struct mk_notification *n);

/* OR badge into the word and wake one waiter, if any.  Never blocks; any
 * thread, any process that maps n; makes no system call when nobody
 * waits.  Errors: -EINVAL (n NULL or badge 0), -EBADF, -EPROTOTYPE. */
int mk_notification_signal(struct mk_notification *n, uint64_t badge);

/* Block until the word is non-zero, then return it in *word and clear it.
 * When several threads wait, one signal wakes one of them; bits signalled
 * before a waiter consumes them are merged (seL4: badges accumulate).
 * Errors: -EINVAL, -EBADF, -EPROTOTYPE. */
int mk_notification_wait(struct mk_notification *n, uint64_t *word);

/* As mk_notification_wait, but give up at deadline_ns (mk_clock_now_ns
 * time; MK_FOREVER never).  Errors: as wait, and -ETIMEDOUT (*word is
 * then 0 and nothing was consumed). */
int mk_notification_wait_until(struct mk_notification *n, uint64_t deadline_ns,
			       uint64_t *word);

/* Never blocks: take the word if non-zero.  Errors: as wait, and -EAGAIN
 * (the word was zero; *word is set to 0). */
int mk_notification_poll(struct mk_notification *n, uint64_t *word);

/* Wait on two notifications at once: block until the word of a or of b is
 * non-zero or deadline_ns passes (mk_clock_now_ns time; MK_FOREVER never),
 * then take *both* words (either may be 0) into *word_a and *word_b.  A
 * signal of a or b counts this thread as one of that notification's
 * waiters: when several threads wait on b (each also on a notification of
 * its own), one signal of b wakes one of them, and the one it wakes takes
 * b's bits.  Any thread of a backend that has it (see _probe).
 * Errors: -EINVAL (a, b, word_a or word_b NULL, or a == b), -EBADF,
 * -EPROTOTYPE (as wait, for a or b), -ETIMEDOUT (both words are then 0
 * and nothing was consumed), -ENOSYS (the host cannot wait on two words at
 * once: Linux before 5.16 has no futex_waitv, nor does QEMU 7.2's user
 * mode; the Microkit backend has no use for it; nothing was consumed). */
int mk_notification_wait2_until(struct mk_notification *a, struct mk_notification *b,
				uint64_t deadline_ns, uint64_t *word_a, uint64_t *word_b);

/* Whether mk_notification_wait2_until works here: 0 if it does, -ENOSYS
 * if it always fails so (the host has no futex_waitv, or the environment
 * variable RUMPBRIDGE_FUTEX_WAITV is "0", which lets the fallback of a
 * caller be tested).  Asked of the host once per process.  Never blocks;
 * any thread. */
int mk_notification_wait2_probe(void);

/* ------------------------------------------------------------------ */
/* Endpoint: synchronous call / recv / reply (seL4_Call, seL4_Recv,     */
/* seL4_Reply, seL4_ReplyRecv).                                         */

#define MK_MSG_WORDS 4
/* How many calls may be queued or in service at once on one endpoint;
 * further callers block until a slot frees. */
#define MK_ENDPOINT_SLOTS 64

struct mk_msg {
	uint64_t label;		   /* free for the protocol */
	uint32_t len;		   /* words of w[] in use, 0..MK_MSG_WORDS */
	uint32_t pad_;
	uint64_t w[MK_MSG_WORDS];
};

/* Names the caller a server must reply to (seL4's reply capability). */
struct mk_reply {
	uint32_t slot;
	uint32_t gen;
};

struct mk_endpoint_slot {
	MK_ATOMIC(uint32_t) state; /* private: futex word of the caller */
	uint32_t gen;		/* private */
	uint32_t next;		/* private: FIFO link */
	uint32_t cpu;		/* private: the caller's CPU (MK_SPIN) */
	uint64_t badge;		/* private */
	struct mk_msg msg;	/* private */
};

struct mk_endpoint {
	uint32_t magic;		      /* private */
	uint32_t flags;		      /* private */
	MK_ATOMIC(uint32_t) lock;	      /* private: futex mutex */
	MK_ATOMIC(uint32_t) srv_seq;     /* private: futex, bumped per call */
	MK_ATOMIC(uint32_t) srv_waiters; /* private */
	MK_ATOMIC(uint32_t) slot_seq;    /* private: futex, bumped per freed slot */
	MK_ATOMIC(uint32_t) slot_waiters; /* private */
	MK_ATOMIC(uint32_t) head;     /* private: FIFO of queued calls */
	uint32_t tail;		      /* private */
	MK_ATOMIC(uint32_t) srv_cpu;     /* private: a server's last CPU (MK_SPIN) */
	uint64_t free_mask;	      /* private */
	struct mk_endpoint_slot slot[MK_ENDPOINT_SLOTS];
};

/* Initialise ep with no caller and no server.  flags: MK_SHARED, MK_SPIN,
 * both or none.  With MK_SPIN a caller polls for its reply, and a server
 * that found no call polls for one, for up to a few microseconds before
 * it sleeps: when the other side runs on another CPU, the hand-off then
 * takes no system call.  The polling is bounded (5 us; up to 80 us while
 * the waits of its kind took about that lately) and adaptive (none for a
 * peer that last ran on the same CPU, none while polls have not paid
 * lately); RUMPBRIDGE_ENDPOINT_ADAPTIVE_SPIN=0 in the environment keeps
 * every poll at 5 us.  Nothing else changes (order, errors, deadlines,
 * aborts).  docs/mk.md says more.  Errors: -EINVAL (ep NULL, unknown
 * flag). */
int mk_endpoint_init(struct mk_endpoint *ep, unsigned flags);

/* Destroy ep.  Errors: -EINVAL, -EBADF, -EPROTOTYPE, -EBUSY (a call is
 * queued or in service, or a thread waits in recv; nothing changed). */
int mk_endpoint_destroy(struct mk_endpoint *ep);

/* Send *msg with the caller's badge, block until a server replies, and
 * return the reply in *msg.  Callers are served in FIFO order.  Any thread,
 * any process that maps ep.  Errors: -EINVAL (NULL, msg->len >
 * MK_MSG_WORDS), -EBADF, -EPROTOTYPE, -ECANCELED (the server replied with
 * mk_endpoint_abort). */
int mk_endpoint_call(struct mk_endpoint *ep, uint64_t badge, struct mk_msg *msg);

/* Block until a call arrives (or deadline_ns passes; MK_FOREVER never);
 * return its message, badge and the reply token.  Several server threads
 * may receive on one endpoint.  Errors: -EINVAL, -EBADF, -EPROTOTYPE,
 * -ETIMEDOUT. */
int mk_endpoint_recv(struct mk_endpoint *ep, uint64_t deadline_ns, struct mk_msg *msg,
		     uint64_t *badge, struct mk_reply *reply);

/* Send *msg as the reply to the call named by *reply; wakes that caller.
 * Never blocks.  Several threads may reply with copies of one token at
 * once: exactly one reply (or abort) is delivered, the others return
 * -ESTALE, and a late one never reaches a later call that reuses the
 * slot.  Errors: -EINVAL (NULL, len too big), -EBADF, -EPROTOTYPE,
 * -ESTALE (reply does not name a call in service: already replied or
 * aborted, or never received). */
int mk_endpoint_reply(struct mk_endpoint *ep, const struct mk_reply *reply,
		      const struct mk_msg *msg);

/* Fail the call named by *reply: the caller's mk_endpoint_call returns
 * -ECANCELED.  Errors: as mk_endpoint_reply. */
int mk_endpoint_abort(struct mk_endpoint *ep, const struct mk_reply *reply);

/* How many calls are queued or in service on ep right now (a snapshot,
 * for diagnostics and tests).  Errors: -EINVAL, -EBADF, -EPROTOTYPE. */
int mk_endpoint_pending(struct mk_endpoint *ep);

/* Reply to *reply with *msg, then receive the next call into *msg, *badge
 * and *reply (seL4_ReplyRecv).  Errors: those of reply (then nothing was
 * received), then those of recv. */
int mk_endpoint_reply_recv(struct mk_endpoint *ep, struct mk_reply *reply, struct mk_msg *msg,
			   uint64_t *badge);

/* ------------------------------------------------------------------ */
/* Threads and thread-local slots                                       */

struct mk_thread;

/* Longest thread name, without the terminating NUL (Linux's limit). */
#define MK_THREAD_NAME_MAX 15

/* Start a host thread running fn(arg), named name (visible in /proc and
 * gdb).  Each mk thread has an alternate signal stack, so a green-thread
 * stack overflow on it is reported (see mk_stack_create).  Errors:
 * -EINVAL (NULL), -ENAMETOOLONG (name longer than MK_THREAD_NAME_MAX),
 * -EAGAIN/-ENOMEM (host limits). */
int mk_thread_create(struct mk_thread **t, const char *name, void *(*fn)(void *), void *arg);

/* Wait for t to finish, return fn's result in *ret (may be NULL), free t.
 * Errors: -EINVAL (NULL), -EDEADLK (t is the calling thread), -ESRCH
 * (t is not a joinable thread: the host refused). */
int mk_thread_join(struct mk_thread *t, void **ret);

/* Give the host CPU to another host thread. */
void mk_thread_yield(void);

/* Copy the calling host thread's name (at most len - 1 chars, always
 * terminated) into buf.  Errors: -EINVAL (buf NULL or len 0). */
int mk_thread_get_name(char *buf, size_t len);

/* Give the calling thread (one not created by mk_thread_create, such as
 * main) an alternate signal stack so that stack overflows of green threads
 * it runs are reported.  A thread that already has one (a sanitizer's,
 * or from an earlier call) keeps it.  On failure nothing is installed or
 * kept, and a later call tries again.  Errors: -ENOMEM, -EBUSY (called
 * while running on an alternate signal stack). */
int mk_thread_prepare_current(void);

/* Per-host-thread pointer slots.  The backend keeps them in host TLS (or
 * in a global where the backend has one thread).  mk_tls_get is a real
 * function call on purpose: a green thread may move between host threads
 * across a context switch, so its address must not be cached by the
 * compiler.  Slot numbers are fixed by the layers: */
enum mk_tls_slot {
	MK_TLS_DOM_CURRENT = 0, /* dom: the thread record running here */
	MK_TLS_DOM_ENTRY = 1,	/* dom: cached foreign-entry records */
	MK_TLS_DOM_TRACE = 2,	/* dom: this host thread's trace buffer */
	MK_TLS_SLOTS = 4,
};
void *mk_tls_get(unsigned slot);
void mk_tls_set(unsigned slot, void *value);
/* Run dtor(value) when a host thread exits with a non-NULL value in slot.
 * One destructor per slot, set once.  Errors: -EINVAL (slot out of range
 * or dtor NULL), -EEXIST (a different destructor is already set). */
int mk_tls_set_destructor(unsigned slot, void (*dtor)(void *));

/* ------------------------------------------------------------------ */
/* Host files and environment, for tools such as dom's trace recorder.  */

/* The value of the host environment variable name, or NULL (unset, or a
 * backend without an environment).  Any thread. */
const char *mk_env_get(const char *name);
/* Create or truncate the host file path and write len bytes of buf to it.
 * Any thread; blocks on the host's file I/O.  Errors: -EINVAL (path or
 * buf NULL), -ENOTSUP (a backend without files), or the host's error
 * (-ENOENT, -EACCES, -ENOSPC, -EIO ...). */
int mk_file_write(const char *path, const void *buf, size_t len);

/* ------------------------------------------------------------------ */
/* Memory: the arena the layers above allocate from, and stacks.        */

/* Allocate size bytes aligned to 64 (zeroed).  NULL when out of memory or
 * size 0.  Any thread; may take a host lock briefly. */
void *mk_mem_alloc(size_t size);
/* Free memory from mk_mem_alloc (NULL is ignored). */
void mk_mem_free(void *p);

/* The smallest usable stack: smaller requests are rounded up to it (not
 * refused), so a 1-byte request still gets a stack that runs printf and
 * takes a signal frame.  Sanitizer builds need far more (ASan redzones);
 * give their threads 256 KiB or more. */
#define MK_STACK_MIN ((size_t)32 * 1024)
/* The guard mk_stack_create puts below a stack: an inaccessible range
 * that turns an overflow into a report instead of a write into whatever
 * is mapped below.  A frame larger than the guard can jump over it unless
 * the code was built with -fstack-clash-protection (rumpbridge is, where
 * the compiler has it): such code touches the stack at least once per
 * probe interval as it allocates a frame, so it hits any guard at least
 * that large (GCC: 4 KiB on x86_64, 64 KiB on AArch64).  Code built
 * without it (a library kernel, the application) is only caught when its
 * frames are smaller than the guard: choose the guard with
 * mk_stack_create_guard. */
#define MK_STACK_GUARD ((size_t)64 * 1024)
/* The largest guard mk_stack_create_guard accepts. */
#define MK_STACK_GUARD_MAX ((size_t)64 << 20)

struct mk_stack {
	void *base;	  /* lowest usable byte (just above the guard) */
	size_t size;	  /* usable bytes */
	void *map;	  /* private */
	size_t map_size;  /* private */
	const char *name; /* private: as given (the report uses a copy) */
	void *rec;	  /* private: fault registry record */
	size_t guard;	  /* bytes of the guard below base */
};

/* Allocate a stack of at least size bytes (rounded up to MK_STACK_MIN
 * and to pages) with a guard of MK_STACK_GUARD bytes below it.  Memory is
 * committed only when touched.  Running into a hard (inaccessible) guard
 * kills the process (SIGSEGV) with a message naming `name` (its first 31
 * characters are copied; NULL reads "?"), on threads that have an
 * alternate signal stack (mk threads, and threads after
 * mk_thread_prepare_current).  On Linux, stacks are slots of shared
 * arenas and only the first quarter of vm.max_map_count of them
 * (RUMPBRIDGE_STACK_HARD_GUARDS overrides) get hard guards, since each
 * costs two VMAs; the rest get soft guards: the same range, left
 * accessible and never touched by a correct thread, checked when the
 * stack is destroyed (docs/mk.md).  Any thread.  Errors: -EINVAL (NULL,
 * size 0 or over 1 GiB), -ENOMEM. */
int mk_stack_create(struct mk_stack *s, size_t size, const char *name);
/* As mk_stack_create with a guard of `guard` bytes (rounded up to pages;
 * 0: MK_STACK_GUARD, at least one page).  Errors: as mk_stack_create, and
 * -EINVAL (guard over MK_STACK_GUARD_MAX). */
int mk_stack_create_guard(struct mk_stack *s, size_t size, size_t guard, const char *name);
/* Release a stack.  Any thread; may run while another thread's overflow
 * is being reported (the fault handler takes no lock and reads only
 * memory that is never freed).  Errors: -EINVAL (NULL or not a live
 * stack), -EFAULT (released, but a thread overflowed into its soft guard:
 * reported on the console). */
int mk_stack_destroy(struct mk_stack *s);
/* A live stack handed to a new thread without a new allocation (a cache
 * of stacks): the overflow report names `name` from now on (NULL reads
 * "?"), and sanitizer state left by the last user is cleared.  Its memory
 * is not cleared.  Any thread.  Errors: -EINVAL (NULL or not a live
 * stack). */
int mk_stack_reuse(struct mk_stack *s, const char *name);
/* How many stack slots have been made with a hard guard and with a soft
 * one since the process started (each slot keeps its kind when reused);
 * NULL pointers are skipped.  Any thread.  No errors. */
void mk_stack_stats(unsigned long *hard, unsigned long *soft);

/* ------------------------------------------------------------------ */
/* Region: named shared memory several processes map.                   */

#define MK_REGION_NAME_MAX 31

struct mk_region {
	uint32_t magic; /* private */
	int handle;	/* the backend's handle (a memfd on Linux) */
	void *base;
	size_t size;
	char name[MK_REGION_NAME_MAX + 1];
};

/* Create a zero-filled region of size bytes named name and map it.
 * Errors: -EINVAL (NULL, size 0), -ENAMETOOLONG, -EOVERFLOW (size larger
 * than the address space allows), -ENOMEM/-EMFILE (host limits). */
int mk_region_create(struct mk_region *r, const char *name, size_t size);

/* Map a region another process created, given its handle (inherited
 * across fork, or passed over a Unix socket; handles are close-on-exec)
 * and the size the caller expects.  Errors: -EINVAL, -EBADF (handle is
 * not a region), -ERANGE (the region is smaller than size), -ENOMEM,
 * -EMFILE (no descriptor left to keep the handle). */
int mk_region_attach(struct mk_region *r, int handle, size_t size);

/* Check that [offset, offset + size) lies inside r and offset is a
 * multiple of align (a power of two), and return its address.  Use it to
 * place objects in a region.  Errors: -EINVAL (NULL, align not a power of
 * two, offset misaligned), -EBADF (r not mapped), -EPROTOTYPE (r is an
 * mk object of another kind), -ERANGE (does not fit, including overflow
 * of offset + size). */
int mk_region_at(const struct mk_region *r, size_t offset, size_t size, size_t align, void **p);

/* Unmap r and close its handle; the memory lives on while another process
 * maps it.  Errors: -EINVAL, -EBADF, -EPROTOTYPE. */
int mk_region_destroy(struct mk_region *r);

#ifdef __cplusplus
}
#endif
#endif
