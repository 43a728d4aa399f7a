/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Domain components (include/rumpbridge/comp.h): a PD whose system-file
 * entry gives <?rumpbridge vcpus="N"?> runs its work on the green threads
 * of a domain with N vCPUs.
 *
 * The PD's notification (in its object region, MK_SHARED) is the
 * domain's interrupt line, so channel c is event bit c and the fault bit
 * (COMP_BIT_FAULT, 62) is event bit 62; bit 63 stays the domain's kick.
 * Start (pd_domain_main, on the main host thread):
 *   1. create the domain; every signal that arrives from now on stays
 *      pending in the domain until it is bound or waited for;
 *   2. run init() on a call worker green thread (dom_call), under the
 *      entry mutex; init() may claim channels (comp_channel_claim);
 *   3. bind every unclaimed channel bit to on_event, which runs
 *      notified() on the service green thread (bits taken together are
 *      handed over lowest first, one handler at a time), and the fault
 *      bit to fault(); a passive PD binds nothing (its notifications stay
 *      pending, as on seL4);
 *   4. tell the launcher, then receive PPCs on this host thread and run
 *      each protected() on a call worker (dom_call).
 *
 * Claims: `claimed` (under claim_lock) is the set of channels whose
 * signals go to comp_channel_wait; `bound` says step 3 was done.  A claim
 * after step 3 unbinds the bit under the same lock, so a bit is never both
 * bound and claimed once the claim returns.
 *
 * One entry point at a time: entry_mutex, a domain mutex (green callers
 * block without holding their vCPU).  Outgoing PPCs: one per channel at a
 * time (ch_mutex[c]); a green caller detaches to a porter for the
 * blocking call, a plain caller enters the domain for it.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include <rumpbridge/comp.h>
#include <rumpbridge/trace.h>

#include "pd_runtime.h"

struct dom *pd_dom;

static struct dom_mutex entry_mutex;
static struct dom_mutex ch_mutex[COMP_CHANNELS];

static pthread_mutex_t claim_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t claimed; /* under claim_lock */
static bool bound;	 /* under claim_lock */

enum { CALL_IN_PLACE = 0, CALL_DETACHED = 1, CALL_ENTERED = 2 };

struct dom *comp_domain(void)
{
	return pd_dom;
}

static void must(int r, const char *what)
{
	if (r)
		pd_die("domain component: %s: %s", what, mk_strerror(r));
}

void pd_domain_entry_enter(void)
{
	must(dom_mutex_enter(&entry_mutex), "taking the entry mutex");
}

void pd_domain_entry_exit(void)
{
	must(dom_mutex_exit(&entry_mutex), "releasing the entry mutex");
}

void pd_domain_ch_lock(unsigned ch)
{
	must(dom_mutex_enter(&ch_mutex[ch]), "taking a channel's call mutex");
}

void pd_domain_ch_unlock(unsigned ch)
{
	must(dom_mutex_exit(&ch_mutex[ch]), "releasing a channel's call mutex");
}

int pd_domain_call_begin(int *how)
{
	struct dom_thread *t = dom_self();
	int r;

	if (t && dom_thread_is_green(t)) {
		r = dom_detach();
		if (r == -EPERM) { /* already on a porter: an entered thread now */
			*how = CALL_IN_PLACE;
			return 0;
		}
		*how = CALL_DETACHED;
		return r;
	}
	if (t) {
		*how = CALL_IN_PLACE;
		return 0;
	}
	r = dom_enter(pd_dom);
	*how = CALL_ENTERED;
	return r;
}

void pd_domain_call_end(int how)
{
	if (how == CALL_DETACHED)
		must(dom_reattach(), "reattaching after a PPC");
	else if (how == CALL_ENTERED)
		must(dom_leave(pd_dom), "leaving the domain after a PPC");
}

/* A bound event: notified(bit) or, for the fault bit, fault(). */
static void on_event(unsigned bit, void *arg)
{
	(void)arg;
	pd_entry_enter();
	if (bit == COMP_BIT_FAULT) {
		pd_handle_faults();
	} else {
		atomic_fetch_add_explicit(&pd_self->notify_in, 1, memory_order_relaxed);
		PD_TRACE(pd_trace_notified(bit, DOM_TR_COMP_HANDLER));
		notified(bit);
		PD_TRACE(pd_trace_notified_end(bit));
	}
	pd_entry_done();
	pd_entry_exit();
}

int comp_channel_claim(microkit_channel ch)
{
	int r = 0;

	if (!pd_dom || pd_boot->plain_threads)
		return -ENOTSUP;
	if (ch > MICROKIT_MAX_CHANNEL_ID)
		return -EINVAL;
	pthread_mutex_lock(&claim_lock);
	if (!(claimed & (1ull << ch))) {
		claimed |= 1ull << ch;
		if (bound)
			r = dom_event_bind(pd_dom, ch, NULL, NULL);
	}
	pthread_mutex_unlock(&claim_lock);
	return r;
}

int comp_channel_wait_until(microkit_channel ch, uint64_t deadline_ns)
{
	uint64_t bits;
	int r = comp_channel_claim(ch);

	if (r)
		return r;
	r = deadline_ns == MK_FOREVER ? dom_event_wait(pd_dom, 1ull << ch, &bits)
				      : dom_event_wait_until(pd_dom, 1ull << ch, deadline_ns, &bits);
	if (r == 0) {
		atomic_fetch_add_explicit(&pd_self->notify_in, 1, memory_order_relaxed);
		PD_TRACE(pd_trace_notified(ch, DOM_TR_COMP_WAITER));
	}
	return r;
}

int comp_channel_wait(microkit_channel ch)
{
	return comp_channel_wait_until(ch, MK_FOREVER);
}

static void *run_init(void *arg)
{
	(void)arg;
	pd_entry_enter();
	init();
	pd_entry_done();
	pd_entry_exit();
	return NULL;
}

static void bind_events(void)
{
	pthread_mutex_lock(&claim_lock);
	for (unsigned c = 0; c < COMP_CHANNELS; c++)
		if (!(claimed & (1ull << c)))
			must(dom_event_bind(pd_dom, c, on_event, NULL), "binding a channel");
	must(dom_event_bind(pd_dom, COMP_BIT_FAULT, on_event, NULL), "binding the fault bit");
	bound = true;
	pthread_mutex_unlock(&claim_lock);
}

static void create_domain(bool own_irq)
{
	char name[DOM_NAME_MAX + 1];
	struct dom_config cfg = {0};
	struct dom *d;
	/* The domain is named after the PD (cut to the domain name limit). */
	size_t n = strnlen(microkit_name, DOM_NAME_MAX);

	memcpy(name, microkit_name, n);
	name[n] = 0;
	cfg.name = name;
	cfg.vcpus = pd_boot->vcpus;
	cfg.irq = own_irq ? NULL : &pd_self->ntfn;
	must(dom_mutex_init(&entry_mutex), "the entry mutex");
	for (unsigned c = 0; c < COMP_CHANNELS; c++)
		must(dom_mutex_init(&ch_mutex[c]), "a channel's call mutex");
	must(dom_create(&d, &cfg), "creating the domain");
	pd_dom = d;
}

void pd_domain_plain_start(void)
{
	create_domain(true);
	must(dom_enter(pd_dom), "entering the main thread into the domain");
}

void pd_domain_main(void)
{
	create_domain(false);
	must(dom_call(pd_dom, run_init, NULL, NULL), "running init()");
	if (!microkit_passive)
		bind_events();
	pd_ctl_send(COMP_CTL_INIT_DONE, 0, 0);
	pd_serve_ppcs();
}
