/* SPDX-License-Identifier: BSD-2-Clause */
/* Internal to src/mk/linux: reporting stack overflows of green threads. */
#ifndef MK_LINUX_FAULT_H
#define MK_LINUX_FAULT_H

/* Install the SIGSEGV/SIGBUS handler once per process. */
void mk_fault_install(void);
/* Give the calling host thread an alternate signal stack (idempotent). */
int mk_fault_prepare_thread(void);
/* Remove and free what mk_fault_prepare_thread gave the calling thread. */
void mk_fault_release_thread(void);

#endif
