/* SPDX-License-Identifier: BSD-2-Clause */
/* A header that documents an error code but does not include <errno.h>.
 * check-headers.sh must reject it. */
#ifndef RB_BROKEN_NOERRNO_H
#define RB_BROKEN_NOERRNO_H
/* Errors: -ESTALE. */
int rb_broken_noerrno(void);
#endif
