/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The system description: a Microkit 2.0.1 .system file, parsed
 * (system_parse.c: libxml2 + the schema in system.xsd) and checked
 * (system_validate.c).  Internal to comp and its tools.
 *
 * Every error is one line, "FILE:LINE: ELEMENT: what is wrong", written to
 * the caller's buffer; the functions return 0 or -1.
 */
#ifndef RUMPBRIDGE_COMP_SYSTEM_H
#define RUMPBRIDGE_COMP_SYSTEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Limits of Microkit 2.0.1 (tool/microkit/src/sdf.rs, lib.rs). */
#define SYS_MAX_PDS 63
#define SYS_MAX_ID 61		/* channel, irq and child ids: 0..61 */
#define SYS_MAX_PRIORITY 254
#define SYS_MAX_CPU 1023	/* cpu="N": a CPU number below CPU_SETSIZE */
#define SYS_NAME_MAX 64		/* microkit_name holds at most 63 chars + NUL */
#define SYS_PAGE_SIZE 0x1000ull
#define SYS_LARGE_PAGE_SIZE 0x200000ull
#define SYS_MIN_STACK 0x1000ull
#define SYS_MAX_STACK (16ull << 20)
#define SYS_DEFAULT_BUDGET 1000ull
/* Maps must end below the PD's stack, which the tool puts at the top of
 * user space: 2^47 on aarch64 without the hypervisor (less on boards with
 * it), also the top of a Linux x86_64 or aarch64 process. */
#define SYS_USER_TOP 0x800000000000ull

#define SYS_PERM_R 1u
#define SYS_PERM_W 2u
#define SYS_PERM_X 4u

/* Supervision policy for a PD without a parent that crashes. */
enum sys_on_crash {
	SYS_ON_CRASH_STOP = 0, /* stop the whole system (the default) */
	SYS_ON_CRASH_RESTART,  /* start the PD again */
	SYS_ON_CRASH_IGNORE,   /* leave it dead, keep the others running */
};

struct sys_map {
	char *mr;
	int region; /* index in sys_system.regions */
	uint64_t vaddr;
	unsigned perms;
	bool cached;
	char *setvar_vaddr; /* may be NULL */
	char *setvar_size;  /* may be NULL */
	int line;
};

struct sys_irq {
	uint64_t irq;
	unsigned id;
	bool edge;
	int line;
};

struct sys_setvar { /* <setvar symbol region_paddr> */
	char *symbol;
	char *region;
	int line;
};

struct sys_pd {
	char *name;
	unsigned priority;
	uint64_t budget, period;
	bool passive;
	uint64_t stack_size;
	bool smc;
	bool has_id; /* a child PD */
	unsigned id;
	int parent; /* index in sys_system.pds, -1 for a root PD */
	char *image;
	int image_line;
	struct sys_map *maps;
	size_t nmaps;
	struct sys_irq *irqs;
	size_t nirqs;
	struct sys_setvar *setvars;
	size_t nsetvars;
	bool has_vm;
	int vm_line;
	int line;
	/* Linux-only (<?rumpbridge ...?>) */
	unsigned vcpus;
	bool domain; /* vcpus or threads was given: the PD has a domain */
	bool plain_threads; /* threads="plain": entry points on plain threads */
	enum sys_on_crash on_crash;
	/* netns="own": the PD runs in a network namespace of its own, which
	 * the launcher creates, and keeps CAP_NET_ADMIN (only) for it */
	bool netns_own;
	/* cpu="N": the PD's process runs on CPU N only; -1 (no setting):
	 * wherever Linux schedules it */
	int cpu;
	/* Filled by sys_resolve_images. */
	char *image_path;
};

struct sys_region {
	char *name;
	uint64_t size;
	uint64_t page_size;
	bool has_phys;
	uint64_t phys_addr;
	int line;
};

struct sys_end {
	char *pd_name;
	int pd; /* index in sys_system.pds */
	unsigned id;
	bool pp;     /* this end may PPC the other */
	bool notify; /* this end may notify the other */
	int line;
};

struct sys_channel {
	struct sys_end end[2];
	int line;
};

struct sys_system {
	char *file;
	int line; /* of the <system> element */
	struct sys_pd *pds; /* flattened: a parent precedes its children */
	size_t npds;
	struct sys_region *regions;
	size_t nregions;
	struct sys_channel *channels;
	size_t nchannels;
};

/* Parse and schema-validate the file at path (sys_parse_memory: len bytes
 * at buf, reported as name).  On success *out is a system that still needs
 * sys_validate.  Errors (-1, message in err): unreadable file, XML not
 * well formed, schema violation, an element the tool refuses. */
int sys_parse_file(const char *path, struct sys_system **out, char *err, size_t errlen);
int sys_parse_memory(const char *name, const char *buf, size_t len, struct sys_system **out,
		     char *err, size_t errlen);

/* The semantic checks (see system_validate.c for the list).  0 or -1. */
int sys_validate(struct sys_system *s, char *err, size_t errlen);

/* Find each PD's program image on the search path (the first directory
 * that has it wins; an absolute path is taken as is) and check that it is
 * an executable file.  0 or -1. */
int sys_resolve_images(struct sys_system *s, const char *const *search_path, size_t n,
		       char *err, size_t errlen);

/* All three, in order. */
int sys_load(const char *path, const char *const *search_path, size_t n,
	     struct sys_system **out, char *err, size_t errlen);

void sys_free(struct sys_system *s);

/* Keep an error message on one line: control characters (from the file's
 * own text, e.g. a name with &#10;) become spaces. */
static inline void sys_oneline(char *msg)
{
	for (; *msg; msg++)
		if ((unsigned char)*msg < 0x20 || *msg == 0x7f)
			*msg = ' ';
}

/* Index of the PD / region named name, or -1. */
int sys_find_pd(const struct sys_system *s, const char *name);
int sys_find_region(const struct sys_system *s, const char *name);

/* The embedded schema (generated from system.xsd at build time). */
extern const char sys_schema_xsd[];
extern const size_t sys_schema_xsd_len;

#endif
