/* SPDX-License-Identifier: BSD-2-Clause */
/* A program linked with an installed librumpuser (tests/install), without
 * a rump kernel: only the platform's own calls are used. */
#include <rumpbridge/rumpuser.h>
#include <stdio.h>

int main(void)
{
	if (rumpbridge_domain() != NULL || rumpbridge_set_domain(NULL) != -EINVAL) {
		fprintf(stderr, "consumer-rumpuser: unexpected answers\n");
		return 1;
	}
	printf("consumer-rumpuser: linked; no domain before rump_init\n");
	return 0;
}
