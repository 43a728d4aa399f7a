/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * bench_switch: the measurements behind the design of dom's context switch
 * (docs/dom.md, "The switch"), so anyone can check them on their CPU.
 *
 *   - switch_ret_rtt_ns / switch_jmp_rtt_ns: two bare contexts switching
 *     back and forth, resumed with `ret` (the classic switch) or with
 *     `pop; jmp *` (dom_arch_switch's way).  Same frames, same call sites:
 *     only the resuming instruction differs.
 *   - stmxcsr_ns / fnstcw_ns: saving the SSE and x87 control words, what
 *     every switch paid before attr.fpenv.
 *   - yield_alone_ns: dom_yield with no other thread to run, i.e. the
 *     checks and the scheduling point without a switch.
 *
 * x86_64 only: the first two are written in its assembly; elsewhere the
 * program records yield_alone_ns alone.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#include <rumpbridge/dom.h>

#include "bench.h"

static uint64_t cpu_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#if defined(__x86_64__)
/* bsw_ret(save, load) / bsw_jmp(save, load): save rbx, rbp, r12-r15 on
 * this stack, store rsp in *save, load load, restore there, and resume
 * with ret / with pop + jmp. */
__asm__(".text\n"
	".p2align 4\n"
	"bsw_ret:\n"
	"\tpushq %rbp\n\tpushq %rbx\n\tpushq %r12\n\tpushq %r13\n\tpushq %r14\n\tpushq %r15\n"
	"\tmovq %rsp, (%rdi)\n\tmovq %rsi, %rsp\n"
	"\tpopq %r15\n\tpopq %r14\n\tpopq %r13\n\tpopq %r12\n\tpopq %rbx\n\tpopq %rbp\n"
	"\tret\n"
	".p2align 4\n"
	"bsw_jmp:\n"
	"\tpushq %rbp\n\tpushq %rbx\n\tpushq %r12\n\tpushq %r13\n\tpushq %r14\n\tpushq %r15\n"
	"\tmovq %rsp, (%rdi)\n\tmovq %rsi, %rsp\n"
	"\tpopq %r15\n\tpopq %r14\n\tpopq %r13\n\tpopq %r12\n\tpopq %rbx\n\tpopq %rbp\n"
	"\tpopq %rcx\n\tjmpq *%rcx\n");
void bsw_ret(void **save, void *load);
void bsw_jmp(void **save, void *load);

/* The two contexts: this thread's and a partner on its own stack, both
 * running the same loop, so every return goes to the same address. */
struct pair {
	void (*sw)(void **, void *);
	void *sp[2];
	int cur;
};
static struct pair pr;

static __attribute__((noinline)) void flip(void)
{
	int c = pr.cur;

	pr.cur = !c;
	pr.sw(&pr.sp[c], pr.sp[!c]);
}

static __attribute__((noreturn)) void partner_main(void)
{
	for (;;)
		flip();
}

static uint64_t bench_pair(void (*sw)(void **, void *), uint64_t iters)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	uint64_t *top = (uint64_t *)(stack + sizeof(stack)) - 2, t0, t1;

	/* a first frame: six zeroed registers and the entry as the resume
	 * address, with the stack 16-byte aligned + 8 at entry, as after a
	 * call */
	top[0] = (uint64_t)(uintptr_t)partner_main;
	top -= 6;
	for (int i = 0; i < 6; i++)
		top[i] = 0;
	pr.sw = sw;
	pr.sp[1] = top;
	pr.cur = 0;
	t0 = cpu_now_ns();
	for (uint64_t i = 0; i < iters; i++)
		flip(); /* there and back: the partner flips straight back */
	t1 = cpu_now_ns();
	/* the partner is parked inside flip(); the next run lays a new frame */
	return t1 - t0;
}

static uint64_t bench_ret(void *a, uint64_t iters)
{
	(void)a;
	return bench_pair(bsw_ret, iters);
}

static uint64_t bench_jmp(void *a, uint64_t iters)
{
	(void)a;
	return bench_pair(bsw_jmp, iters);
}

static uint64_t bench_stmxcsr(void *a, uint64_t iters)
{
	unsigned int m;
	uint64_t t0 = cpu_now_ns();

	(void)a;
	for (uint64_t i = 0; i < iters; i++)
		__asm__ __volatile__("stmxcsr %0" : "=m"(m));
	return cpu_now_ns() - t0;
}

static uint64_t bench_fnstcw(void *a, uint64_t iters)
{
	unsigned short c;
	uint64_t t0 = cpu_now_ns();

	(void)a;
	for (uint64_t i = 0; i < iters; i++)
		__asm__ __volatile__("fnstcw %0" : "=m"(c));
	return cpu_now_ns() - t0;
}
#endif

/* dom_yield with nobody else to run, on a 1-vCPU domain. */
struct alone {
	uint64_t iters, ns;
};

static void *alone_main(void *p)
{
	struct alone *a = p;
	uint64_t t0 = cpu_now_ns();

	for (uint64_t i = 0; i < a->iters; i++)
		dom_yield();
	a->ns = cpu_now_ns() - t0;
	return NULL;
}

static uint64_t bench_alone(void *arg, uint64_t iters)
{
	struct dom *d = arg;
	struct dom_thread *t;
	struct alone a = {.iters = iters};

	if (dom_thread_create(d, &t, NULL, alone_main, &a) != 0 || dom_enter(d) != 0 ||
	    dom_thread_join(t, NULL) != 0 || dom_leave(d) != 0)
		abort();
	return a.ns;
}

int main(int argc, char **argv)
{
	struct rb_bench *b = rb_bench_open("bench_switch", argc, argv);
	struct dom_config c = {.name = "bench", .vcpus = 1};
	struct dom *d;

	if (b == NULL)
		return 2;
#if defined(__x86_64__)
	const struct rb_bench_case sw[] = {
		{"switch_ret_rtt_ns", "2 bare switches resumed by ret (cpu)", bench_ret, NULL},
		{"switch_jmp_rtt_ns", "2 bare switches resumed by pop+jmp (cpu)", bench_jmp, NULL},
	};
	rb_bench_compare(b, sw, 2);
	const struct rb_bench_case fp[] = {
		{"stmxcsr_ns", "stmxcsr (save MXCSR) (cpu)", bench_stmxcsr, NULL},
		{"fnstcw_ns", "fnstcw (save x87 control word) (cpu)", bench_fnstcw, NULL},
	};
	rb_bench_compare(b, fp, 2);
	rb_bench_ratio(b, "ret / jmp resume", "switch_ret_rtt_ns", "switch_jmp_rtt_ns", "report");
#endif
	if (dom_create(&d, &c) != 0)
		return 1;
	rb_bench_run(b, "yield_alone_ns", "dom_yield, nothing else to run (cpu)", bench_alone, d);
	dom_destroy(d);
	return rb_bench_close(b);
}
