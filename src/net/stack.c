/* SPDX-License-Identifier: BSD-2-Clause */
/* net: choosing a stack by name (stack.h); the argument checks every stack
 * shares (stack_impl.h). */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "stack_impl.h"

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

static bool mac_ok(const uint8_t m[6])
{
	static const uint8_t zero[6];

	return (m[0] & 1) == 0 && memcmp(m, zero, 6) != 0;
}

int net_stack_config_check(struct net_stack **sp, const struct net_stack_config *cfg)
{
	struct dom_thread *t;

	if (sp == NULL || cfg == NULL || cfg->d == NULL || cfg->tx == NULL || cfg->rx == NULL ||
	    cfg->addr == 0 || cfg->netmask == 0 || !mac_ok(cfg->mac) || cfg->rx_events == 0 ||
	    (cfg->rx_events & ~DOM_EVENT_MASK) != 0)
		return -EINVAL;
	if (cfg->tx->role != COMP_RING_PRODUCER || cfg->rx->role != COMP_RING_CONSUMER ||
	    comp_ring_data(cfg->tx) == NULL || comp_ring_data(cfg->rx) == NULL)
		return -EINVAL;
	t = dom_self();
	if (t == NULL || dom_thread_dom(t) != cfg->d)
		return -EPERM;
	return 0;
}

int net_udp_sendto_check(const void *data, size_t len, uint32_t dst, uint16_t dport)
{
	if (data == NULL && len != 0)
		return -EINVAL;
	if (len > NET_UDP_PAYLOAD_MAX)
		return -EMSGSIZE;
	if (dport == 0 || dst == 0 || dst == 0xffffffffu)
		return -EINVAL;
	return 0;
}
