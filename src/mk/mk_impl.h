/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal to src/mk: object magics and the checks every call starts with. */
#ifndef MK_IMPL_H
#define MK_IMPL_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include <rumpbridge/mk.h>

/* Every mk object starts with a magic word naming its kind, so a destroyed
 * object or one of another kind is an error code, not undefined
 * behaviour. */
enum {
	MK_MAGIC_NOTIFICATION = 0x6e746631u, /* "ntf1" */
	MK_MAGIC_ENDPOINT = 0x65707431u,     /* "ept1" */
	MK_MAGIC_REGION = 0x72676e31u,	     /* "rgn1" */
	MK_MAGIC_DEAD = 0xdeadd00du,
};

/* Publish an initialised object: every field written before is visible to
 * a thread whose mk_check() sees the magic (release/acquire pair). */
static inline void mk_publish(void *obj, uint32_t magic)
{
	__atomic_store_n((uint32_t *)obj, magic, __ATOMIC_RELEASE);
}

static inline int mk_check(const void *obj, uint32_t want)
{
	uint32_t magic;

	if (obj == NULL)
		return -EINVAL;
	magic = __atomic_load_n((const uint32_t *)obj, __ATOMIC_ACQUIRE);
	if (magic == want)
		return 0;
	if (magic == MK_MAGIC_NOTIFICATION || magic == MK_MAGIC_ENDPOINT ||
	    magic == MK_MAGIC_REGION)
		return -EPROTOTYPE;
	return -EBADF;
}

#endif
