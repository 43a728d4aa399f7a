/* SPDX-License-Identifier: BSD-2-Clause */
/* net: choosing a stack by name (stack.h). */
#include <string.h>

#include "stack.h"

const struct net_stack_ops *net_stack_find(const char *name)
{
	const struct net_stack_ops *all[] = { &net_stack_lwip, &net_stack_rump };

	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (all[i] != NULL && strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}
