/* SPDX-License-Identifier: BSD-2-Clause */
/* Answers every notification with one notification back (pdtest.c). */
#include <microkit.h>

void init(void)
{
}

void notified(microkit_channel ch)
{
	microkit_notify(ch);
}
