/* SPDX-License-Identifier: BSD-2-Clause */
/* Drives kcomp's notification thread: a notification ping-pong of
 * KROUNDS rounds (strictly alternating, so none coalesce). */
#include <microkit.h>

#define KROUNDS 1000

static unsigned sent;

void init(void)
{
}

void notified(microkit_channel ch)
{
	if (sent < KROUNDS) {
		sent++;
		microkit_notify(ch);
	}
}
