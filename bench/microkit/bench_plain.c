/* SPDX-License-Identifier: BSD-2-Clause */
/* The plain PD of the benchmark: notified() answers at once. */
#include <microkit.h>

void init(void)
{
}

void notified(microkit_channel ch)
{
	microkit_notify(ch);
}
