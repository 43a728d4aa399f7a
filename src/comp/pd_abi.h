/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the launcher and the PD runtime share: the layout of a PD's object
 * region (its kernel objects, in shared memory) and of the boot record the
 * launcher hands each PD process.  Internal; both sides are built from the
 * same tree.
 *
 * Each PD has one object region (a memfd the launcher creates):
 *   - ntfn: the PD's notification; channel id c is badge bit c (0..61),
 *     bit COMP_BIT_FAULT says a child faulted;
 *   - ep: the endpoint its PPC callers call (badge = the callee's channel
 *     id), used when some channel end towards it has pp="true";
 *   - ipc[c]: the message registers of a PPC on the callee's channel c
 *     (the caller writes the call's, the callee the reply's: one caller
 *     per channel, and it is blocked meanwhile);
 *   - child_fault[id], faulted: the launcher's report of a child's fault;
 *   - own_fault: what the PD's own fault handler saw before it died;
 *   - rings: the rings it registered for the status view.
 * A PD process maps its own object region and those of the PDs its
 * channels let it notify or call (docs/components.md, "Grants").
 */
#ifndef RUMPBRIDGE_COMP_PD_ABI_H
#define RUMPBRIDGE_COMP_PD_ABI_H

#include <stdatomic.h>
#include <stdint.h>

#include <rumpbridge/mk.h>

#define COMP_OBJS_MAGIC 0x52424f4au /* "RBOJ" */
#define COMP_BOOT_MAGIC 0x5242424fu /* "RBBO" */
#define COMP_CHANNELS 62
#define COMP_BIT_FAULT 62
#define COMP_MRS 120
#define COMP_MAX_MAPS 64
#define COMP_MAX_SETVARS 128
#define COMP_SYMBOL_MAX 128
#define COMP_NAME_MAX 64

struct comp_ipcbuf {
	uint64_t mr[COMP_MRS];
};

struct comp_fault {
	uint32_t signo;
	uint32_t seq; /* launcher's count of this child's faults: names the report */
	uint64_t addr;
	uint64_t ip;
};

/* A ring a PD registered for the status view (comp_ring_register): its
 * layout starts `offset` bytes into the memory region of the PD's map
 * number `map` (the system file's order).  Written by the PD, read and
 * checked by the launcher (the PD is not trusted). */
#define COMP_RINGS 8
#define COMP_RING_NAME_MAX 31
struct comp_ring_reg {
	char name[COMP_RING_NAME_MAX + 1];
	uint32_t map;
	uint32_t pad_;
	uint64_t offset;
};

struct comp_pd_objs {
	uint32_t magic;
	uint32_t pd;
	struct mk_notification ntfn;
	struct mk_endpoint ep;
	_Atomic uint64_t faulted; /* child ids with a report in child_fault */
	struct comp_fault child_fault[64];
	struct comp_fault own_fault;
	_Atomic uint32_t own_fault_set;
	/* The PPC being served, so the launcher can fail it if the PD dies. */
	_Atomic uint32_t serving;
	struct mk_reply in_service;
	/* Counters (for a status view). */
	_Atomic uint64_t notify_in, notify_out, ppc_served, ppc_out;
	struct comp_ipcbuf ipc[COMP_CHANNELS];
	/* Rings registered for the status view: entries [0, nrings) are
	 * filled (release store of nrings after the entry; the launcher
	 * acquires). */
	_Atomic uint32_t nrings;
	struct comp_ring_reg rings[COMP_RINGS];
	/* A traced PPC's token (docs/tracing.md) per callee channel: the
	 * caller writes it before the call, under its channel lock, as it
	 * does ipc[c]; the callee reads it once it has received the call. */
	uint64_t trace_token[COMP_CHANNELS];
};

/* A memory region map, as the PD process makes it. */
struct comp_boot_map {
	int32_t fd;
	uint32_t perms; /* SYS_PERM_* */
	uint64_t vaddr;
	uint64_t size;
	char region[COMP_NAME_MAX];
};

struct comp_boot_setvar {
	char symbol[COMP_SYMBOL_MAX];
	uint64_t value;
};

/* Messages on the PD's control socket (SOCK_SEQPACKET). */
enum comp_ctl_op {
	COMP_CTL_INIT_DONE = 1, /* PD -> launcher: init() returned */
	COMP_CTL_RESTART = 2,	/* PD -> launcher: restart child arg */
	COMP_CTL_STOP = 3,	/* PD -> launcher: stop child arg */
	COMP_CTL_FAULT_DONE = 4, /* PD -> launcher: fault() for child arg returned false */
	COMP_CTL_FAULT_RESUME = 5, /* PD -> launcher: fault() for child arg returned true */
	COMP_CTL_TRACE_WRITE = 6, /* launcher -> PD: stop recording, write the trace file */
	COMP_CTL_TRACE_DONE = 7,  /* PD -> launcher: done; arg 0 or the errno of the failure */
};
/* A PD sends its requests when the entry point that made them returns,
 * after its console output: as on one seL4 core, where a parent of higher
 * priority runs on before the child it restarted. */
struct comp_ctl_msg {
	uint32_t op;
	uint32_t arg;
	uint32_t seq; /* FAULT_DONE / FAULT_RESUME: the report answered */
	uint32_t pad_;
};

struct comp_boot {
	uint32_t magic;
	uint32_t pd;
	char name[COMP_NAME_MAX];
	char program[256];
	uint32_t passive;
	int32_t ctl_fd;
	uint32_t vcpus; /* 0: a native PD; 1..64: its domain's vCPUs */
	uint32_t plain_threads; /* entry points on plain threads (CAmkES shape) */
	uint32_t netns_own;	/* in a network namespace of its own, with CAP_NET_ADMIN */
	uint64_t notifications; /* channels this PD may notify */
	uint64_t pps;		/* channels this PD may PPC */
	uint64_t irqs;
	uint64_t serves;	/* channels on which the other end may PPC this PD */
	uint64_t children;	/* child ids */
	int32_t self_fd;	/* own object region */
	uint32_t nobjs;
	int32_t objs_fd[COMP_CHANNELS + 1]; /* granted peers' object regions */
	uint32_t objs_pd[COMP_CHANNELS + 1];
	struct {
		int32_t objs;	 /* index in objs_fd */
		uint32_t peer_id; /* the peer's channel id: badge bit / endpoint badge */
	} ch[COMP_CHANNELS];
	uint32_t nmaps;
	struct comp_boot_map maps[COMP_MAX_MAPS];
	uint32_t nsetvars;
	struct comp_boot_setvar setvars[COMP_MAX_SETVARS];
	/* rumpbridge-run --trace: the PD's trace file (DIR/<name>.trace,
	 * opened by the launcher), written on COMP_CTL_TRACE_WRITE; -1: not
	 * traced. */
	int32_t trace_fd;
};

/* Environment variable naming the boot record's descriptor. */
#define COMP_BOOT_ENV "RUMPBRIDGE_PD_BOOT"

/* Exit status of a PD process that could not start (bad boot record, a
 * map that cannot be made, a setvar symbol missing); it has printed why. */
#define COMP_EXIT_STARTUP 121

#endif
