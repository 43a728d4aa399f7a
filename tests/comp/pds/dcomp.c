/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A domain component (one vCPU): init() starts three green threads:
 *   waiter  waits for channel 3 (claimed in init) while the others run;
 *   helper  answers gserver through the shared page while caller's PPC
 *           is in gserver's protected() (so the PPC must not hold the
 *           vCPU);
 *   caller  comp_ppcall to gserver, then notifies gclient.
 * protected() and notified() say which green thread they run on.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include <microkit.h>
#include <rumpbridge/comp.h>

uintptr_t flag; /* [0]: gserver is in protected(); [1]: helper ran */

#define say(...)                                               \
	do {                                                   \
		char line_[160];                               \
		snprintf(line_, sizeof line_, __VA_ARGS__);    \
		microkit_dbg_puts(line_);                      \
	} while (0)

static const char *me(void)
{
	struct dom_thread *t = dom_self();

	return t && dom_thread_is_green(t) ? dom_thread_name(t) : "(not a green thread)";
}

static void *waiter(void *arg)
{
	int r;

	(void)arg;
	r = comp_channel_wait(3);
	say("dcomp waiter: channel 3 (%d), on green thread '%s'\n", r, me());
	microkit_notify(3);
	return NULL;
}

static void *helper(void *arg)
{
	_Atomic uint32_t *f = (_Atomic uint32_t *)flag;

	(void)arg;
	for (int i = 0; i < 10000 && !atomic_load(&f[0]); i++)
		dom_sleep_ns(1000000);
	atomic_store(&f[1], 1);
	return NULL;
}

static void *caller(void *arg)
{
	microkit_msginfo info = microkit_msginfo_new(7, 1);
	seL4_Word mrs[seL4_MsgMaxLength] = {41};
	int r;

	(void)arg;
	r = comp_ppcall(1, &info, mrs);
	say("dcomp caller: comp_ppcall %d, reply label %lu mr0 %lu\n", r,
	    (unsigned long)microkit_msginfo_get_label(info), (unsigned long)mrs[0]);
	microkit_notify(2);
	return NULL;
}

static void start(const char *name, void *(*fn)(void *))
{
	struct dom_thread_attr a = {.name = name, .vcpu = -1, .detached = true};
	int r = dom_thread_create(comp_domain(), NULL, &a, fn, NULL);

	if (r)
		say("dcomp: cannot start %s: %d\n", name, r);
}

void init(void)
{
	microkit_msginfo info = microkit_msginfo_new(0, seL4_MsgMaxLength + 1);
	seL4_Word mrs[seL4_MsgMaxLength];

	say("dcomp: init on green thread '%s', %u vCPU(s)\n", me(), dom_vcpus(comp_domain()));
	/* the documented errors */
	if (comp_channel_claim(MICROKIT_MAX_CHANNEL_ID + 1) != -EINVAL ||
	    comp_channel_wait(MICROKIT_MAX_CHANNEL_ID + 1) != -EINVAL ||
	    comp_ppcall(3, &info, mrs) != -EPERM || comp_ppcall(1, NULL, mrs) != -EINVAL ||
	    comp_ppcall(1, &info, mrs) != -EINVAL ||
	    (info = microkit_msginfo_new(0, 1), comp_ppcall(1, &info, NULL)) != -EINVAL)
		microkit_dbg_puts("dcomp: an error code differs from comp.h\n");
	/* rings for the status view: bad arguments, a full table, a name
	 * registered again; the launcher shows memory that holds no ring as
	 * unreadable */
	{
		char name[8];
		int ok = comp_ring_register(NULL, (void *)flag) == -EINVAL &&
			 comp_ring_register("", (void *)flag) == -EINVAL &&
			 comp_ring_register("a-name-longer-than-31-characters", (void *)flag) == -EINVAL &&
			 comp_ring_register("x", NULL) == -EINVAL &&
			 comp_ring_register("x", &name) == -ENOENT;

		for (int i = 0; i < 8; i++) {
			snprintf(name, sizeof name, "r%d", i);
			ok = ok && comp_ring_register(name, (void *)flag) == 0;
		}
		ok = ok && comp_ring_register("r8", (void *)flag) == -ENOSPC &&
		     comp_ring_register("r0", (void *)(flag + 64)) == 0;
		if (!ok)
			microkit_dbg_puts("dcomp: comp_ring_register differs from comp.h\n");
	}
	if (comp_channel_claim(3) != 0)
		microkit_dbg_puts("dcomp: cannot claim channel 3\n");
	start("waiter", waiter);
	start("helper", helper);
	start("caller", caller);
}

void notified(microkit_channel ch)
{
	microkit_msginfo r;

	microkit_mr_set(0, 100);
	r = microkit_ppcall(1, microkit_msginfo_new(9, 1));
	say("dcomp: notified(%u) on green thread '%s', microkit_ppcall reply label %lu mr0 %lu\n",
	    ch, me(), (unsigned long)microkit_msginfo_get_label(r),
	    (unsigned long)microkit_mr_get(0));
	microkit_notify(1);
}

microkit_msginfo protected(microkit_channel ch, microkit_msginfo msginfo)
{
	say("dcomp: protected(%u) mr0 %lu on green thread '%s'\n", ch,
	    (unsigned long)microkit_mr_get(0), me());
	microkit_mr_set(0, 2 * microkit_mr_get(0));
	return microkit_msginfo_new(microkit_msginfo_get_label(msginfo) + 1, 1);
}
