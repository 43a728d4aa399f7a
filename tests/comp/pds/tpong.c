/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The domain-component end of the traced system (tping.c): notified()
 * answers each notification, protected() replies label + 1, and a green
 * thread waits for channel 3 (comp_channel_wait).
 */
#include <stdio.h>

#include <microkit.h>
#include <rumpbridge/comp.h>

#define PING 1
#define WAKE 3

static unsigned seen;

static void *waiter(void *arg)
{
	char line[96];
	int r;

	(void)arg;
	r = comp_channel_wait(WAKE);
	snprintf(line, sizeof line, "tpong: channel 3 (%d) after %u notifications\n", r, seen);
	microkit_dbg_puts(line);
	return NULL;
}

void init(void)
{
	struct dom_thread_attr a = {.name = "waiter", .vcpu = -1, .detached = true};

	microkit_dbg_puts("tpong: init\n");
	if (comp_channel_claim(WAKE) != 0 ||
	    dom_thread_create(comp_domain(), NULL, &a, waiter, NULL) != 0)
		microkit_dbg_puts("tpong: cannot start the waiter\n");
}

void notified(microkit_channel ch)
{
	if (ch != PING)
		return;
	seen++;
	microkit_notify(PING);
}

microkit_msginfo protected(microkit_channel ch, microkit_msginfo msginfo)
{
	(void)ch;
	return microkit_msginfo_new(microkit_msginfo_get_label(msginfo) + 1, 0);
}
