/* SPDX-License-Identifier: BSD-2-Clause */
/* A program built against an installed rumpbridge (tests/install): it
 * creates a domain, has a green thread compute something and tears the
 * domain down. */
#include <rumpbridge/dom.h>
#include <stdio.h>

static void *add_one(void *arg)
{
	return (void *)((uintptr_t)arg + 1);
}

int main(void)
{
	struct dom_config cfg = {.name = "consumer", .vcpus = 1};
	struct dom *d;
	void *ret = NULL;
	int err;

	err = dom_create(&d, &cfg);
	if (err != 0) {
		fprintf(stderr, "consumer: dom_create: %s\n", mk_strerror(err));
		return 1;
	}
	err = dom_call(d, add_one, (void *)41, &ret);
	if (err != 0)
		fprintf(stderr, "consumer: dom_call: %s\n", mk_strerror(err));
	if (dom_destroy(d) != 0 || err != 0)
		return 1;
	printf("consumer: a green thread returned %d\n", (int)(uintptr_t)ret);
	return (uintptr_t)ret == 42 ? 0 : 1;
}
