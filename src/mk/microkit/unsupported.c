/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mk objects a PD does not have (yet).  Endpoints: a PD's synchronous
 * calls are Microkit PPCs (microkit_ppcall / protected()), which block the
 * whole PD, so the domain talks to other PDs with notifications and
 * shared memory instead.  Regions: the .system file maps them before the
 * PD starts; there is nothing to create at run time.  Every call returns
 * -ENOTSUP after the argument checks mk.h documents.
 */
#include "microkit_impl.h"

int mk_endpoint_init(struct mk_endpoint *ep, unsigned flags)
{
	(void)flags;
	return ep == NULL ? -EINVAL : -ENOTSUP;
}

int mk_endpoint_destroy(struct mk_endpoint *ep)
{
	return ep == NULL ? -EINVAL : -ENOTSUP;
}

int mk_endpoint_call(struct mk_endpoint *ep, uint64_t badge, struct mk_msg *msg)
{
	(void)badge;
	return ep == NULL || msg == NULL ? -EINVAL : -ENOTSUP;
}

int mk_endpoint_recv(struct mk_endpoint *ep, uint64_t deadline_ns, struct mk_msg *msg,
		     uint64_t *badge, struct mk_reply *reply)
{
	(void)deadline_ns;
	return ep == NULL || msg == NULL || badge == NULL || reply == NULL ? -EINVAL : -ENOTSUP;
}

int mk_endpoint_reply(struct mk_endpoint *ep, const struct mk_reply *reply,
		      const struct mk_msg *msg)
{
	return ep == NULL || reply == NULL || msg == NULL ? -EINVAL : -ENOTSUP;
}

int mk_endpoint_abort(struct mk_endpoint *ep, const struct mk_reply *reply)
{
	return ep == NULL || reply == NULL ? -EINVAL : -ENOTSUP;
}

int mk_endpoint_pending(struct mk_endpoint *ep)
{
	return ep == NULL ? -EINVAL : -ENOTSUP;
}

int mk_endpoint_reply_recv(struct mk_endpoint *ep, struct mk_reply *reply, struct mk_msg *msg,
			   uint64_t *badge)
{
	return ep == NULL || reply == NULL || msg == NULL || badge == NULL ? -EINVAL : -ENOTSUP;
}

int mk_region_create(struct mk_region *r, const char *name, size_t size)
{
	return r == NULL || name == NULL || size == 0 ? -EINVAL : -ENOTSUP;
}

int mk_region_attach(struct mk_region *r, int handle, size_t size)
{
	(void)handle;
	return r == NULL || size == 0 ? -EINVAL : -ENOTSUP;
}

int mk_region_at(const struct mk_region *r, size_t offset, size_t size, size_t align, void **p)
{
	(void)offset;
	(void)size;
	(void)align;
	return r == NULL || p == NULL ? -EINVAL : -ENOTSUP;
}

int mk_region_destroy(struct mk_region *r)
{
	return r == NULL ? -EINVAL : -ENOTSUP;
}

/* A PD has no host environment and no files: a trace stays in memory and
 * is read out with dom_trace_write. */
const char *mk_env_get(const char *name)
{
	(void)name;
	return NULL;
}

int mk_file_write(const char *path, const void *buf, size_t len)
{
	(void)len;
	return path == NULL || buf == NULL ? -EINVAL : -ENOTSUP;
}
