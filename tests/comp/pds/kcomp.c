/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The CAmkES shape: protected() runs on the RPC thread and notified() on
 * the notification thread, concurrently, both plain host threads entered
 * into the PD's domain.  Each calls into a small "library kernel": a
 * request queue under a domain mutex, served by two green threads on the
 * domain's two vCPUs; the caller waits on a domain condition variable
 * (the seed's crash scenario, now safe through foreign entry).  The kernel
 * sums a hash of every request: a lost or doubled request changes it.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include <microkit.h>
#include <rumpbridge/comp.h>

#define KROUNDS 1000
#define HASH(v) ((uint64_t)(v) * 0x9e3779b97f4a7c15ull)

struct kreq {
	uint64_t val, result;
	int done;
	struct kreq *next;
};

static struct dom_mutex klock;
static struct dom_cv kwork, kdone;
static struct kreq *khead, **ktail = &khead; /* under klock */
static uint64_t ksum;			     /* under klock */

static _Atomic unsigned calls, notes, finished, bad_thread;
static pthread_t rpc_thread, note_thread;

static void *kthread(void *arg)
{
	(void)arg;
	for (;;) {
		struct kreq *r;

		dom_mutex_enter(&klock);
		while (!khead)
			dom_cv_wait(&kwork, &klock);
		r = khead;
		khead = r->next;
		if (!khead)
			ktail = &khead;
		ksum += HASH(r->val);
		r->result = 3 * r->val;
		r->done = 1;
		dom_cv_broadcast(&kdone);
		dom_mutex_exit(&klock);
	}
	return NULL;
}

/* Called by an entered plain thread. */
static uint64_t kernel_op(uint64_t val)
{
	struct kreq r = {.val = val};
	struct dom_thread *t = dom_self();

	if (!t || dom_thread_is_green(t))
		atomic_fetch_add(&bad_thread, 1);
	dom_mutex_enter(&klock);
	*ktail = &r;
	ktail = &r.next;
	dom_cv_signal(&kwork);
	while (!r.done)
		dom_cv_wait(&kdone, &klock);
	dom_mutex_exit(&klock);
	return r.result;
}

static void finish(void)
{
	uint64_t want = 0, got;
	char line[256];

	if (atomic_fetch_add(&finished, 1) + 1 != 2)
		return;
	for (uint64_t i = 1; i <= KROUNDS; i++)
		want += HASH(i) + HASH(1000000 + i);
	dom_mutex_enter(&klock);
	got = ksum;
	dom_mutex_exit(&klock);
	snprintf(line, sizeof line,
		 "kcomp: %u calls on the RPC thread, %u notifications on the notification thread, %s, %s, kernel checksum %s\n",
		 atomic_load(&calls), atomic_load(&notes),
		 atomic_load(&bad_thread) ? "NOT all entered" : "both entered",
		 pthread_equal(rpc_thread, note_thread) ? "ONE thread" : "two threads",
		 got == want ? "ok" : "BAD");
	microkit_dbg_puts(line);
}

void init(void)
{
	struct dom_thread_attr a = {.name = "kthread", .vcpu = -1, .detached = true};
	char line[96];

	dom_mutex_init(&klock);
	dom_cv_init(&kwork);
	dom_cv_init(&kdone);
	for (int i = 0; i < 2; i++)
		if (dom_thread_create(comp_domain(), NULL, &a, kthread, NULL))
			microkit_dbg_puts("kcomp: cannot start a kernel thread\n");
	snprintf(line, sizeof line, "kcomp: init, library kernel on %u vCPU(s)\n",
		 dom_vcpus(comp_domain()));
	microkit_dbg_puts(line);
	if (comp_channel_wait(2) != -ENOTSUP)
		microkit_dbg_puts("kcomp: comp_channel_wait is not -ENOTSUP in the CAmkES shape\n");
	microkit_notify(1); /* start the drivers */
	microkit_notify(2);
}

void notified(microkit_channel ch)
{
	unsigned n = atomic_fetch_add(&notes, 1) + 1;

	note_thread = pthread_self();
	kernel_op(1000000 + n);
	microkit_notify(ch);
	if (n == KROUNDS)
		finish();
}

microkit_msginfo protected(microkit_channel ch, microkit_msginfo msginfo)
{
	unsigned n = atomic_fetch_add(&calls, 1) + 1;

	(void)ch;
	rpc_thread = pthread_self();
	microkit_mr_set(0, kernel_op(microkit_mr_get(0)));
	if (n == KROUNDS)
		finish();
	return msginfo;
}
