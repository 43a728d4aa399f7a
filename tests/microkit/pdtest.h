/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The scaffolding of the PD unit tests shared by their two files:
 * pdtest.c (the runner, init(), notified() and most tests) and
 * pdtest_inplace.c (the library's event loop and the receive in place).
 * One program image: the globals below are pdtest.c's.
 */
#ifndef TESTS_MICROKIT_PDTEST_H
#define TESTS_MICROKIT_PDTEST_H

#include <microkit.h>
#include <stdbool.h>
#include <stdint.h>

#include <rumpbridge/dom.h>
#include <rumpbridge/mk_microkit.h>

#include "pd_common.h"
#include "pdtest_proto.h"

/* 1 in the image built with PDTEST_OWN_LOOP (pdtest_loop.img: init()
 * ends in mk_microkit_event_loop), 0 in the one libmicrokit's loop runs */
#ifdef PDTEST_OWN_LOOP
#define PDTEST_OWN 1
#else
#define PDTEST_OWN 0
#endif

/* The configuration's handler_stack (mk_microkit_config): 0, the
 * default (4 KiB), but in pdtest_loop_hs8.img (8 KiB); HS_LIMIT is what
 * it stands for. */
#ifndef PDTEST_HANDLER_STACK
#define PDTEST_HANDLER_STACK 0
#endif
#define HS_LIMIT (PDTEST_HANDLER_STACK != 0 ? PDTEST_HANDLER_STACK : 4096)

#define MS 1000000ull
/* pdtest.system's layout */
#define HEAP_SIZE 0x40000
#define STACK_STRIDE 0x5000
#define NSTACKS 16

extern uintptr_t stack0_base; /* setvar: the first stack slot's first mapped byte */

extern struct dom *d; /* the domain */
extern int failures;  /* the checks failed so far */

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			pd_put("pdtest: check failed: " #c " at line ");                           \
			pd_put_i64(__LINE__);                                                      \
			pd_put("\n");                                                              \
			failures++;                                                                \
		}                                                                                  \
	} while (0)
#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		int64_t a_ = (int64_t)(a), b_ = (int64_t)(b);                                      \
		if (a_ != b_) {                                                                    \
			pd_put("pdtest: check failed: " #a " == " #b " (");                        \
			pd_put_i64(a_);                                                            \
			pd_put(" != ");                                                            \
			pd_put_i64(b_);                                                            \
			pd_put(") at line ");                                                      \
			pd_put_i64(__LINE__);                                                      \
			pd_put("\n");                                                              \
			failures++;                                                                \
		}                                                                                  \
	} while (0)

/* A green thread of d (a failed create is a failed check, and NULL). */
struct dom_thread *spawn(const char *name, void *(*fn)(void *), void *arg);
/* Join t (NULL: nothing), returning its value. */
void *join(struct dom_thread *t);

/* pdtest_inplace.c: its tests (run by the runner, before the yield gate
 * closes for good: a thread with fpenv turns the receive in place off)
 * and its part of notified() and protected(). */
void test_loop_order(void);
void test_loop_roundtrip(void);
void test_loop_bound(void);
void test_loop_ppc(void);
void test_loop_hstack(void);
void test_loop_timer(void);
void test_loop_misuse(void);
/* notified(ch) for CH_ORDER, CH_RT, CH_HS, CH_PP, CH_PP_OK, CH_PP_BAD:
 * true if it was one of them (handled) */
bool inplace_notified(microkit_channel ch);

#endif
