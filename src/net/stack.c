/* SPDX-License-Identifier: BSD-2-Clause */
/* net: choosing a stack by name (stack.h). */
#include <string.h>

#include "stack.h"

const struct net_stack_ops *net_stack_find(const char *name)
{
	/* the build's stacks, by the defines CMake sets (stack.h) */
	const struct net_stack_ops *all[] = {
#ifdef NET_HAVE_LWIP
		&net_stack_lwip,
#endif
#ifdef NET_HAVE_RUMP
		&net_stack_rump,
#endif
		NULL,
	};

	if (name == NULL)
		return NULL;
	for (size_t i = 0; all[i] != NULL; i++)
		if (strcmp(all[i]->name, name) == 0)
			return all[i];
	return NULL;
}
