/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Threads in a PD: there is one, the PD's own seL4 thread.  Host threads
 * cannot be created (a vCPU beyond the caller's, a porter for
 * dom_detach): mk_thread_create says -EAGAIN, the host's "no more
 * threads", which the layers above already handle.  The TLS slots are a
 * plain array (mk_backend.h reads slot 0 inline).
 */
#include <microkit.h>
#include <string.h>

#include "microkit_impl.h"

void *mk_microkit_tls[MK_TLS_SLOTS];
bool mk_microkit_tls_wide;
static void (*tls_dtor[MK_TLS_SLOTS])(void *);

int mk_thread_create(struct mk_thread **t, const char *name, void *(*fn)(void *), void *arg)
{
	(void)arg;
	if (t == NULL || name == NULL || fn == NULL)
		return -EINVAL;
	if (strlen(name) > MK_THREAD_NAME_MAX)
		return -ENAMETOOLONG;
	return -EAGAIN;
}

int mk_thread_join(struct mk_thread *t, void **ret)
{
	(void)ret;
	return t == NULL ? -EINVAL : -ESRCH;
}

/* No other thread of this PD to give the CPU to; seL4_Yield would only
 * reach other PDs of the same priority, which a spinning caller in this
 * PD cannot be waiting for. */
void mk_thread_yield(void)
{
}

int mk_thread_get_name(char *buf, size_t len)
{
	size_t n;

	if (buf == NULL || len == 0)
		return -EINVAL;
	n = strlen(microkit_name);
	if (n > len - 1)
		n = len - 1;
	memcpy(buf, microkit_name, n);
	buf[n] = '\0';
	return 0;
}

int mk_thread_prepare_current(void)
{
	return 0; /* stacks have guard pages already; faults go to the fault handler */
}

void *mk_tls_get(unsigned slot)
{
	return slot < MK_TLS_SLOTS ? mk_microkit_tls[slot] : NULL;
}

void mk_tls_set(unsigned slot, void *value)
{
	if (slot < MK_TLS_SLOTS)
		mk_microkit_tls[slot] = value;
	if (slot != MK_TLS_DOM_CURRENT && slot < MK_TLS_SLOTS && value != NULL)
		mk_microkit_tls_wide = true; /* pd.c's swaps take every slot from now on */
}

/* Kept, never run: the PD's thread does not exit. */
int mk_tls_set_destructor(unsigned slot, void (*dtor)(void *))
{
	if (slot >= MK_TLS_SLOTS || dtor == NULL)
		return -EINVAL;
	if (tls_dtor[slot] != NULL && tls_dtor[slot] != dtor)
		return -EEXIST;
	tls_dtor[slot] = dtor;
	return 0;
}
