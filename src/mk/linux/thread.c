/* SPDX-License-Identifier: BSD-2-Clause */
/* Host threads and thread-local slots on Linux (pthreads). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "../mk_impl.h"
#include "fault.h"
#include "hints.h"
#include "mk_backend.h"

struct mk_thread {
	pthread_t pt;
	void *(*fn)(void *);
	void *arg;
	char name[MK_THREAD_NAME_MAX + 1];
};

static void *trampoline(void *p)
{
	struct mk_thread *t = p;

	void *r;

	/* Named from inside, before fn runs, so fn and any observer see it. */
	pthread_setname_np(pthread_self(), t->name);
	mk_fault_prepare_thread();
	r = t->fn(t->arg);
	mk_fault_release_thread();
	return r;
}

int mk_thread_create(struct mk_thread **out, const char *name, void *(*fn)(void *), void *arg)
{
	struct mk_thread *t;
	int r;

	if (out == NULL || name == NULL || fn == NULL)
		return -EINVAL;
	if (strlen(name) > MK_THREAD_NAME_MAX)
		return -ENAMETOOLONG;
	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return -ENOMEM;
	t->fn = fn;
	t->arg = arg;
	strcpy(t->name, name);
	mk_fault_install();
	r = pthread_create(&t->pt, NULL, trampoline, t);
	if (r != 0) {
		free(t);
		return -r;
	}
	*out = t;
	return 0;
}

int mk_thread_join(struct mk_thread *t, void **ret)
{
	void *v;
	int r;

	if (t == NULL)
		return -EINVAL;
	if (pthread_equal(t->pt, pthread_self()))
		return -EDEADLK;
	r = pthread_join(t->pt, &v);
	if (r != 0)
		return -r;
	if (ret != NULL)
		*ret = v;
	free(t);
	return 0;
}

void mk_thread_yield(void)
{
	sched_yield();
}

int mk_thread_get_name(char *buf, size_t len)
{
	char tmp[16] = "";

	if (buf == NULL || len == 0)
		return -EINVAL;
	if (pthread_getname_np(pthread_self(), tmp, sizeof(tmp)) != 0)
		strcpy(tmp, "host");
	strncpy(buf, tmp, len - 1);
	buf[len - 1] = '\0';
	return 0;
}

int mk_thread_prepare_current(void)
{
	mk_fault_install();
	return mk_fault_prepare_thread();
}

/*
 * Thread-local slots.  The values sit in a __thread array (one %fs-relative
 * load); a pthread key, set on the first store of a thread, runs the
 * per-slot destructors at thread exit.
 */
/* Initial-exec and hidden: mk_backend.h reads slot 0 with inline asm. */
__attribute__((tls_model("initial-exec"), visibility("hidden"))) __thread void
	*mk_tls_slot[MK_TLS_SLOTS];
#define tls_slot mk_tls_slot
static __thread int tls_keyed;
static void (*_Atomic tls_dtor[MK_TLS_SLOTS])(void *);
static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;

static void tls_exit(void *unused)
{
	(void)unused;
	for (unsigned i = 0; i < MK_TLS_SLOTS; i++) {
		void (*d)(void *) = atomic_load(&tls_dtor[i]);
		void *v = tls_slot[i];

		tls_slot[i] = NULL;
		if (d != NULL && v != NULL)
			d(v);
	}
}

static void tls_init(void)
{
	pthread_key_create(&tls_key, tls_exit);
}

void *mk_tls_get(unsigned slot)
{
	return slot < MK_TLS_SLOTS ? tls_slot[slot] : NULL;
}

void mk_tls_set(unsigned slot, void *value)
{
	if (slot >= MK_TLS_SLOTS)
		return;
	tls_slot[slot] = value;
	if (value != NULL && !tls_keyed) {
		pthread_once(&tls_once, tls_init);
		pthread_setspecific(tls_key, (void *)1);
		tls_keyed = 1;
	}
}

int mk_tls_set_destructor(unsigned slot, void (*dtor)(void *))
{
	void (*old)(void *) = NULL;

	if (slot >= MK_TLS_SLOTS || dtor == NULL)
		return -EINVAL;
	pthread_once(&tls_once, tls_init);
	if (!atomic_compare_exchange_strong(&tls_dtor[slot], &old, dtor) && old != dtor)
		return -EEXIST;
	return 0;
}

/* mk_backend.h: CPU hints and the switch of the idle poll. */
uint32_t mk_backend_cpu_current(void)
{
	return mk_cpu_now();
}

unsigned mk_backend_cpu_count(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof set, &set) != 0)
		return 1;
	return (unsigned)CPU_COUNT(&set);
}

bool mk_backend_env_off(const char *name)
{
	const char *e = getenv(name);

	return e != NULL && strcmp(e, "0") == 0;
}
