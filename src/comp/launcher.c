/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The launcher: creates a system's objects, starts each protection domain
 * as its own process holding only what it is granted, and supervises them.
 *
 *   - memory regions: one memfd each (mk_region_create);
 *   - per PD: an object region (struct comp_pd_objs: its notification,
 *     endpoint, PPC message buffers, fault reports), a boot record (a
 *     memfd), and a control socket (SOCK_SEQPACKET) for init-done and for
 *     a parent's restart / stop requests;
 *   - a PD process inherits exactly: its boot record, its control socket,
 *     its object region, the object regions of the PDs it may notify or
 *     call, and the memory regions it maps.  Every other descriptor of the
 *     launcher is close-on-exec.
 *
 * Start order: by priority, highest first (file order among equals), each
 * PD once the previous one's init() has returned or it died: on a single
 * seL4 core a higher-priority PD's init runs first, and a PPC always goes
 * to a higher priority, so a server is ready before its clients call.
 *
 * Supervision: a PD that dies by a signal is reported on stderr with its
 * name and signal; a child's fault goes to its parent's fault() (through
 * the parent's notification, bit COMP_BIT_FAULT); a root PD's crash
 * applies its on_crash policy (stop the system, restart it, ignore it).
 * A PPC being served by a PD that dies is failed (the caller gets
 * MICROKIT_PPC_FAILED).  SIGINT / SIGTERM / --timeout stop every PD.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <linux/close_range.h>
#include <linux/securebits.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rumpbridge/mk.h>

#include "launcher.h"

/* At most this many words in $RUMPBRIDGE_PD_WRAPPER. */
#define LAUNCH_WRAPPER_ARGS 16
#include "pd_abi.h"

struct lpd {
	struct sys_pd *sys;
	struct mk_region objs_region;
	struct comp_pd_objs *objs;
	int boot_fd;
	struct comp_boot *boot;
	pid_t pid;	 /* 0: not running */
	int ctl;	 /* launcher's end, -1 when not running */
	bool init_done;
	bool stopped;	 /* by its parent or by policy: never restarted */
	bool restart;	 /* restart once reaped */
	bool killing;	 /* we sent SIGKILL: its death is no crash */
	unsigned starts;
	struct mk_thread *reaper; /* fails the PPCs to it while it stays dead */
	uint32_t fault_seq;	  /* faults reported to its parent so far */
	bool fault_open;	  /* the last report awaits its parent's answer */
};

struct launcher {
	struct sys_system *s;
	const struct launch_opts *o;
	struct mk_region *regions;
	struct lpd *pd;
	size_t *order;
	size_t next_start;   /* index in order of the next PD to start */
	long waiting_init;   /* PD whose init we wait for, -1 none */
	bool stopping;
	int status;
	char *wrapper[LAUNCH_WRAPPER_ARGS + 1]; /* $RUMPBRIDGE_PD_WRAPPER, split */
	char *wrapper_buf;
	int trace_dir; /* --trace: the directory, -1: not tracing */
};

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "rumpbridge-run: %s\n", msg);
}

static void region_name(char *buf, size_t len, const char *prefix, const char *name)
{
	snprintf(buf, len, "%s%.*s", prefix, (int)(MK_REGION_NAME_MAX - strlen(prefix)), name);
}

static int setup(struct launcher *L)
{
	struct sys_system *s = L->s;
	char nm[MK_REGION_NAME_MAX + 1];
	int r;

	L->regions = calloc(s->nregions ? s->nregions : 1, sizeof *L->regions);
	L->pd = calloc(s->npds, sizeof *L->pd);
	L->order = calloc(s->npds, sizeof *L->order);
	if (!L->regions || !L->pd || !L->order)
		abort();
	for (size_t i = 0; i < s->nregions; i++) {
		const struct sys_region *sr = &s->regions[i];

		if (sr->has_phys)
			say("memory region '%s': phys_addr 0x%llx is ignored on Linux (ordinary memory)",
			    sr->name, (unsigned long long)sr->phys_addr);
		region_name(nm, sizeof nm, "mr:", sr->name);
		r = mk_region_create(&L->regions[i], nm, (size_t)sr->size);
		if (r) {
			say("cannot create memory region '%s' (0x%llx bytes): %s", sr->name,
			    (unsigned long long)sr->size, mk_strerror(r));
			return -1;
		}
	}
	for (size_t i = 0; i < s->npds; i++) {
		struct lpd *p = &L->pd[i];

		p->sys = &s->pds[i];
		p->ctl = -1;
		p->boot_fd = -1;
		region_name(nm, sizeof nm, "pd:", p->sys->name);
		r = mk_region_create(&p->objs_region, nm, sizeof(struct comp_pd_objs));
		if (r) {
			say("cannot create the objects of PD '%s': %s", p->sys->name, mk_strerror(r));
			return -1;
		}
		p->objs = p->objs_region.base;
		p->objs->magic = COMP_OBJS_MAGIC;
		p->objs->pd = (uint32_t)i;
		if ((r = mk_notification_init(&p->objs->ntfn, MK_SHARED)) ||
		    (r = mk_endpoint_init(&p->objs->ep, MK_SHARED | MK_SPIN))) {
			say("cannot create the objects of PD '%s': %s", p->sys->name, mk_strerror(r));
			return -1;
		}
		if (p->sys->nirqs)
			say("PD '%s': its %zu irq(s) never fire on Linux", p->sys->name, p->sys->nirqs);
	}
	return 0;
}

/* Index of pd b's object region in a's grants, adding it if needed. */
static int32_t grant_objs(struct launcher *L, struct comp_boot *b, size_t peer)
{
	for (uint32_t i = 0; i < b->nobjs; i++)
		if (b->objs_pd[i] == peer)
			return (int32_t)i;
	b->objs_fd[b->nobjs] = L->pd[peer].objs_region.handle;
	b->objs_pd[b->nobjs] = (uint32_t)peer;
	return (int32_t)b->nobjs++;
}

static void copy_name(char *dst, size_t len, const char *src)
{
	snprintf(dst, len, "%s", src ? src : "");
}

static int build_boot(struct launcher *L, size_t i)
{
	struct sys_system *s = L->s;
	struct lpd *p = &L->pd[i];
	const struct sys_pd *sp = p->sys;
	struct comp_boot *b;

	p->boot_fd = memfd_create("rumpbridge-boot", MFD_CLOEXEC);
	if (p->boot_fd < 0 || ftruncate(p->boot_fd, sizeof *b) != 0) {
		say("cannot create the boot record of PD '%s': %s", sp->name, strerror(errno));
		return -1;
	}
	b = mmap(NULL, sizeof *b, PROT_READ | PROT_WRITE, MAP_SHARED, p->boot_fd, 0);
	if (b == MAP_FAILED) {
		say("cannot map the boot record of PD '%s': %s", sp->name, strerror(errno));
		return -1;
	}
	p->boot = b;
	b->magic = COMP_BOOT_MAGIC;
	b->pd = (uint32_t)i;
	copy_name(b->name, sizeof b->name, sp->name);
	copy_name(b->program, sizeof b->program, sp->image);
	b->passive = sp->passive;
	b->vcpus = sp->domain ? sp->vcpus : 0;
	b->plain_threads = sp->plain_threads;
	b->netns_own = sp->netns_own;
	b->self_fd = p->objs_region.handle;
	b->ctl_fd = -1;
	b->trace_fd = -1;
	for (unsigned c = 0; c < COMP_CHANNELS; c++)
		b->ch[c].objs = -1;
	for (size_t j = 0; j < sp->nirqs; j++)
		b->irqs |= 1ull << sp->irqs[j].id;
	for (size_t c = 0; c < s->nchannels; c++)
		for (int k = 0; k < 2; k++) {
			const struct sys_end *e = &s->channels[c].end[k], *o = &s->channels[c].end[1 - k];

			if ((size_t)e->pd == i) {
				if (e->notify)
					b->notifications |= 1ull << e->id;
				if (e->pp)
					b->pps |= 1ull << e->id;
				if (e->notify || e->pp) {
					b->ch[e->id].objs = grant_objs(L, b, (size_t)o->pd);
					b->ch[e->id].peer_id = o->id;
				}
			}
			if ((size_t)o->pd == i && e->pp)
				b->serves |= 1ull << o->id;
		}
	for (size_t j = 0; j < s->npds; j++)
		if (s->pds[j].parent == (int)i)
			b->children |= 1ull << s->pds[j].id;
	if (sp->nmaps > COMP_MAX_MAPS) {
		say("PD '%s' has %zu maps; rumpbridge-run supports %d", sp->name, sp->nmaps,
		    COMP_MAX_MAPS);
		return -1;
	}
	for (size_t j = 0; j < sp->nmaps; j++) {
		const struct sys_map *m = &sp->maps[j];
		struct comp_boot_map *bm = &b->maps[b->nmaps++];

		bm->fd = L->regions[m->region].handle;
		bm->perms = m->perms;
		bm->vaddr = m->vaddr;
		bm->size = s->regions[m->region].size;
		copy_name(bm->region, sizeof bm->region, m->mr);
		for (int k = 0; k < 2; k++) {
			const char *sym = k ? m->setvar_size : m->setvar_vaddr;

			if (!sym)
				continue;
			if (b->nsetvars >= COMP_MAX_SETVARS || strlen(sym) >= COMP_SYMBOL_MAX) {
				say("PD '%s': too many or too long setvar symbols", sp->name);
				return -1;
			}
			copy_name(b->setvars[b->nsetvars].symbol, COMP_SYMBOL_MAX, sym);
			b->setvars[b->nsetvars++].value = k ? bm->size : m->vaddr;
		}
	}
	for (size_t j = 0; j < sp->nsetvars; j++) {
		if (b->nsetvars >= COMP_MAX_SETVARS || strlen(sp->setvars[j].symbol) >= COMP_SYMBOL_MAX) {
			say("PD '%s': too many or too long setvar symbols", sp->name);
			return -1;
		}
		say("PD '%s': setvar '%s' (region_paddr): regions have no physical address on Linux; set to 0",
		    sp->name, sp->setvars[j].symbol);
		copy_name(b->setvars[b->nsetvars].symbol, COMP_SYMBOL_MAX, sp->setvars[j].symbol);
		b->setvars[b->nsetvars++].value = 0;
	}
	return 0;
}

static void reaper_stop(struct lpd *p);

/*
 * In the child, before exec: no capabilities, now or after exec (root
 * gains none: SECBIT_NOROOT), and no_new_privs (no setuid programs).  As
 * root every step must succeed; otherwise the process has no capabilities
 * to drop and only no_new_privs matters.  Returns 0 or an errno.
 *
 * net_admin (a PD with netns="own", already in its own namespace): keep
 * exactly CAP_NET_ADMIN across exec, as an ambient capability (the only
 * way one survives exec under SECBIT_NOROOT): raised while CAP_SETPCAP is
 * still held, then the securebits lock further raising, the bounding set
 * keeps only CAP_NET_ADMIN and the sets shrink to it.  That capability
 * acts on the namespaces the process's user namespace owns: its own
 * network namespace among them, but not the launcher's (it cannot setns
 * back: that needs CAP_SYS_ADMIN).
 */
static int drop_privileges(bool net_admin)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct data[2];
	const unsigned keep = CAP_NET_ADMIN;
	bool root = geteuid() == 0;
	int err = 0;

	if (net_admin) {
		if (syscall(SYS_capget, &hdr, data) != 0)
			return errno;
		data[CAP_TO_INDEX(keep)].inheritable |= CAP_TO_MASK(keep);
		if (syscall(SYS_capset, &hdr, data) != 0 ||
		    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, keep, 0, 0) != 0)
			return errno;
	} else {
		prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	}
	if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
					     SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
					     SECBIT_NO_CAP_AMBIENT_RAISE |
					     SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED) != 0 &&
	    (root || net_admin))
		err = errno;
	for (int cap = 0; cap <= 63; cap++)
		if ((!net_admin || cap != (int)keep) && prctl(PR_CAPBSET_DROP, cap) != 0 &&
		    errno != EINVAL && (root || net_admin) && !err)
			err = errno;
	memset(data, 0, sizeof data);
	if (net_admin) {
		data[CAP_TO_INDEX(keep)].permitted = CAP_TO_MASK(keep);
		data[CAP_TO_INDEX(keep)].effective = CAP_TO_MASK(keep);
		data[CAP_TO_INDEX(keep)].inheritable = CAP_TO_MASK(keep);
	}
	if (syscall(SYS_capset, &hdr, data) != 0 && !err)
		err = errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 && !err)
		err = errno;
	return err;
}

static void keep_on_exec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	if (fl >= 0)
		fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
}

static int spawn(struct launcher *L, size_t i)
{
	struct lpd *p = &L->pd[i];
	struct comp_boot *b = p->boot;
	int sv[2];
	pid_t pid;

	reaper_stop(p);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) != 0) {
		say("cannot start PD '%s': socketpair: %s", p->sys->name, strerror(errno));
		return -1;
	}
	b->ctl_fd = sv[1];
	if (L->trace_dir >= 0) {
		char file[COMP_NAME_MAX + 8];

		snprintf(file, sizeof file, "%s.trace", p->sys->name);
		b->trace_fd = openat(L->trace_dir, file,
				     O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (b->trace_fd < 0)
			say("PD '%s' runs untraced: cannot create its trace file %s: %s", p->sys->name,
			    file, strerror(errno));
	}
	p->objs->own_fault_set = 0;
	p->objs->serving = 0;
	p->init_done = false;
	p->killing = false;
	p->restart = false;
	pid = fork();
	if (pid < 0) {
		say("cannot start PD '%s': fork: %s", p->sys->name, strerror(errno));
		close(sv[0]);
		close(sv[1]);
		if (b->trace_fd >= 0)
			close(b->trace_fd);
		b->trace_fd = -1;
		return -1;
	}
	if (pid == 0) {
		char env[32];
		char *argv[] = {p->sys->name, NULL};
		sigset_t none;
		int fl;

		struct rlimit nocore = {0, 0};

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		setrlimit(RLIMIT_CORE, &nocore); /* a crash is reported, not dumped */
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGINT, SIG_IGN); /* Ctrl-C goes to the launcher, which stops everyone */
		fl = fcntl(sv[1], F_GETFL);
		fcntl(sv[1], F_SETFL, fl & ~O_NONBLOCK);
		/* Nothing the launcher inherited passes on: every descriptor
		 * but 0-2 is closed on exec, except the grants below; stdin is
		 * /dev/null (a PD has no input). */
		if (close_range(3, ~0u, CLOSE_RANGE_CLOEXEC) != 0)
			for (int fd = 3; fd < 4096; fd++)
				fcntl(fd, F_SETFD, FD_CLOEXEC);
		fl = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fl >= 0 && fl != 0) {
			dup2(fl, 0);
			close(fl);
		}
		/* netns="own": a fresh network namespace (only a loopback,
		 * down), which ends with this process */
		if (b->netns_own && unshare(CLONE_NEWNET) != 0) {
			fl = errno;
			fprintf(stderr,
				"rumpbridge-run: PD '%s': netns=\"own\": cannot create a network namespace (needs root: CAP_SYS_ADMIN): %s\n",
				p->sys->name, strerror(fl));
			_exit(COMP_EXIT_STARTUP);
		}
		/* cpu="N": this CPU only (a CPU the launcher may not use, or
		 * one that does not exist, is an error, not a silent "any") */
		if (p->sys->cpu >= 0) {
			cpu_set_t set;

			CPU_ZERO(&set);
			CPU_SET(p->sys->cpu, &set);
			if (sched_setaffinity(0, sizeof set, &set) != 0) {
				fl = errno;
				fprintf(stderr,
					"rumpbridge-run: PD '%s': cpu=\"%d\": cannot run on that CPU (not one the launcher may use): %s\n",
					p->sys->name, p->sys->cpu, strerror(fl));
				_exit(COMP_EXIT_STARTUP);
			}
		}
		fl = drop_privileges(b->netns_own);
		if (fl) {
			fprintf(stderr, "rumpbridge-run: PD '%s': cannot drop privileges: %s\n",
				p->sys->name, strerror(fl));
			_exit(COMP_EXIT_STARTUP);
		}
		keep_on_exec(p->boot_fd);
		keep_on_exec(sv[1]);
		if (b->trace_fd >= 0)
			keep_on_exec(b->trace_fd);
		keep_on_exec(b->self_fd);
		for (uint32_t k = 0; k < b->nobjs; k++)
			keep_on_exec(b->objs_fd[k]);
		for (uint32_t k = 0; k < b->nmaps; k++)
			keep_on_exec(b->maps[k].fd);
		snprintf(env, sizeof env, "%d", p->boot_fd);
		setenv(COMP_BOOT_ENV, env, 1);
		if (L->wrapper[0]) {
			char *wargv[LAUNCH_WRAPPER_ARGS + 2];
			size_t n = 0;

			while (L->wrapper[n])
				wargv[n] = L->wrapper[n], n++;
			wargv[n++] = p->sys->image_path;
			wargv[n] = NULL;
			execvp(wargv[0], wargv);
		} else {
			execv(p->sys->image_path, argv);
		}
		fprintf(stderr, "rumpbridge-run: PD '%s': cannot run '%s': %s\n", p->sys->name,
			p->sys->image_path, strerror(errno));
		_exit(COMP_EXIT_STARTUP);
	}
	close(sv[1]);
	/* The PD's copy now; the number stays in the boot record, which the
	 * PD may not have read yet (the next start writes it again). */
	if (b->trace_fd >= 0)
		close(b->trace_fd);
	p->ctl = sv[0];
	p->pid = pid;
	p->starts++;
	if (L->o->verbose)
		say("started PD '%s' (pid %d, priority %u)", p->sys->name, (int)pid, p->sys->priority);
	return 0;
}

static void start_next(struct launcher *L)
{
	while (!L->stopping && L->waiting_init < 0 && L->next_start < L->s->npds) {
		size_t i = L->order[L->next_start++];

		if (spawn(L, i) != 0) {
			L->status = LAUNCH_STARTUP;
			L->stopping = true;
			return;
		}
		L->waiting_init = (long)i;
	}
}

static void init_finished(struct launcher *L, size_t i)
{
	if (L->waiting_init == (long)i) {
		L->waiting_init = -1;
		start_next(L);
	}
}

static size_t child_index(struct launcher *L, size_t parent, uint32_t id)
{
	for (size_t j = 0; j < L->s->npds; j++)
		if (L->s->pds[j].parent == (int)parent && L->s->pds[j].id == id)
			return j;
	return (size_t)-1;
}

/* Fail the PPC a dead PD was serving; with `all`, every queued one too. */
static void fail_calls(struct lpd *p, bool all)
{
	struct mk_msg m;
	struct mk_reply rep;
	uint64_t badge;

	if (atomic_exchange(&p->objs->serving, 0))
		mk_endpoint_abort(&p->objs->ep, &p->objs->in_service);
	while (all && mk_endpoint_recv(&p->objs->ep, 0, &m, &badge, &rep) == 0)
		mk_endpoint_abort(&p->objs->ep, &rep);
}

/* The badge of the launcher's call that tells a reaper to stop. */
#define REAPER_STOP UINT64_MAX

/* While a PD stays dead, every PPC to it fails at once (the caller gets
 * MICROKIT_PPC_FAILED) instead of waiting forever: a launcher thread
 * receives on its endpoint and aborts each call.  It blocks in receive (no
 * polling) and stops when the launcher calls it with REAPER_STOP, before
 * the PD starts again. */
static void *reaper_main(void *arg)
{
	struct lpd *p = arg;
	struct mk_msg m;
	struct mk_reply rep;
	uint64_t badge;

	while (mk_endpoint_recv(&p->objs->ep, MK_FOREVER, &m, &badge, &rep) == 0) {
		if (badge == REAPER_STOP) {
			m.len = 0;
			mk_endpoint_reply(&p->objs->ep, &rep, &m);
			break;
		}
		mk_endpoint_abort(&p->objs->ep, &rep);
	}
	return NULL;
}

static void stays_dead(struct lpd *p)
{
	int r;

	fail_calls(p, false);
	if (p->reaper)
		return;
	r = mk_thread_create(&p->reaper, "reaper", reaper_main, p);
	if (r) {
		p->reaper = NULL;
		say("PD '%s': cannot start the thread that fails calls to it: %s", p->sys->name,
		    mk_strerror(r));
	}
}

static void reaper_stop(struct lpd *p)
{
	struct mk_msg m = {0};

	if (!p->reaper)
		return;
	mk_endpoint_call(&p->objs->ep, REAPER_STOP, &m);
	mk_thread_join(p->reaper, NULL);
	p->reaper = NULL;
}

static void reaped(struct launcher *L, size_t i, int st)
{
	struct lpd *p = &L->pd[i];
	const struct sys_pd *sp = p->sys;
	bool was_init = p->init_done;

	p->pid = 0;
	if (p->ctl >= 0) {
		close(p->ctl);
		p->ctl = -1;
	}
	if (L->stopping)
		return;
	if (p->killing) {
		fail_calls(p, false);
		if (p->restart && !p->stopped) {
			if (spawn(L, i) != 0) {
				L->status = LAUNCH_STARTUP;
				L->stopping = true;
			}
			return; /* its init is awaited again */
		}
		stays_dead(p);
		init_finished(L, i);
		return;
	}
	if (WIFEXITED(st)) {
		if (WEXITSTATUS(st) == COMP_EXIT_STARTUP || !was_init) {
			say("PD '%s' could not start (exit status %d)", sp->name, WEXITSTATUS(st));
			L->status = LAUNCH_STARTUP;
		} else {
			say("PD '%s' exited with status %d", sp->name, WEXITSTATUS(st));
			L->status = LAUNCH_CRASHED;
		}
		L->stopping = true;
		return;
	}
	if (WIFSIGNALED(st)) {
		int sig = WTERMSIG(st);
		const struct comp_fault *f = &p->objs->own_fault;
		bool have = atomic_load(&p->objs->own_fault_set) != 0;

		if (have)
			say("PD '%s' crashed: signal %d (%s) at address 0x%llx, ip 0x%llx", sp->name, sig,
			    strsignal(sig), (unsigned long long)f->addr, (unsigned long long)f->ip);
		else
			say("PD '%s' killed by signal %d (%s)", sp->name, sig, strsignal(sig));
		fail_calls(p, false);
		if (sp->parent >= 0 && L->pd[sp->parent].pid) {
			/* The parent's fault() decides; the start of the next PD
			 * waits for its answer (COMP_CTL_FAULT_DONE). */
			struct lpd *par = &L->pd[sp->parent];
			struct comp_fault *cf = &par->objs->child_fault[sp->id];

			cf->signo = (uint32_t)sig;
			cf->addr = have ? f->addr : 0;
			cf->ip = have ? f->ip : 0;
			cf->seq = ++p->fault_seq;
			p->fault_open = true;
			atomic_fetch_or(&par->objs->faulted, 1ull << sp->id);
			mk_notification_signal(&par->objs->ntfn, 1ull << COMP_BIT_FAULT);
			return;
		} else if (sp->parent >= 0) {
			say("PD '%s': its parent '%s' is not running; the child stays stopped", sp->name,
			    L->s->pds[sp->parent].name);
			stays_dead(p);
		} else if (sp->on_crash == SYS_ON_CRASH_RESTART) {
			say("PD '%s': restarting it (on_crash=\"restart\")", sp->name);
			if (spawn(L, i) != 0) {
				L->status = LAUNCH_STARTUP;
				L->stopping = true;
			}
			return; /* its init is still awaited */
		} else if (sp->on_crash == SYS_ON_CRASH_IGNORE) {
			p->stopped = true;
			stays_dead(p);
		} else {
			say("stopping the system (PD '%s' has no parent; on_crash=\"stop\")", sp->name);
			L->status = LAUNCH_CRASHED;
			L->stopping = true;
		}
	}
	init_finished(L, i);
}

static void ctl_message(struct launcher *L, size_t i, const struct comp_ctl_msg *m)
{
	struct lpd *p = &L->pd[i];
	size_t c;

	if (L->o->verbose) {
		static const char *const names[] = {"?", "init done", "restart child", "stop child",
						    "fault handled, child", "fault handled (resume), child",
						    "?", "trace written, error"};

		say("PD '%s': %s %u", p->sys->name, names[m->op < 8 ? m->op : 0], m->arg);
	}
	switch (m->op) {
	case COMP_CTL_INIT_DONE:
		p->init_done = true;
		init_finished(L, i);
		return;
	case COMP_CTL_RESTART:
	case COMP_CTL_STOP:
	case COMP_CTL_FAULT_DONE:
	case COMP_CTL_FAULT_RESUME:
		c = child_index(L, i, m->arg);
		if (c == (size_t)-1)
			return; /* the runtime checks ids; ignore a forged one */
		break;
	default:
		return;
	}
	if (m->op == COMP_CTL_FAULT_DONE || m->op == COMP_CTL_FAULT_RESUME) {
		/* An answer to an older report (the child was restarted and
		 * faulted again meanwhile) is stale. */
		if (!L->pd[c].fault_open || m->seq != L->pd[c].fault_seq)
			return;
		L->pd[c].fault_open = false;
		if (m->op == COMP_CTL_FAULT_RESUME)
			say("PD '%s': a faulted PD cannot be resumed on Linux; '%s' stays stopped (use microkit_pd_restart)",
			    p->sys->name, L->pd[c].sys->name);
		if (!L->pd[c].pid) { /* not restarted: it is no longer starting */
			stays_dead(&L->pd[c]);
			init_finished(L, c);
		}
		return;
	}
	if (m->op == COMP_CTL_STOP) {
		L->pd[c].stopped = true;
		L->pd[c].restart = false;
	} else {
		L->pd[c].stopped = false;
		L->pd[c].fault_open = false; /* restarting answers the fault */
	}
	if (L->pd[c].pid) {
		L->pd[c].killing = true;
		L->pd[c].restart = m->op == COMP_CTL_RESTART;
		kill(L->pd[c].pid, SIGKILL);
	} else if (m->op == COMP_CTL_RESTART) {
		if (spawn(L, c) != 0) {
			L->status = LAUNCH_STARTUP;
			L->stopping = true;
		}
	} else {
		stays_dead(&L->pd[c]);
		init_finished(L, c);
	}
}

static void print_status(struct launcher *L)
{
	fprintf(stderr, "rumpbridge-run: status\n  %-16s %-8s %9s %10s %10s %7s %6s\n", "PD",
		"state", "notify-in", "notify-out", "ppc-served", "ppc-out", "starts");
	for (size_t i = 0; i < L->s->npds; i++) {
		const struct lpd *p = &L->pd[i];
		const struct comp_pd_objs *o = p->objs;
		const char *state = p->pid ? (p->init_done ? "running" : "starting")
					   : p->starts ? "dead" : "waiting";

		fprintf(stderr, "  %-16s %-8s %9llu %10llu %10llu %7llu %6u\n", p->sys->name, state,
			(unsigned long long)atomic_load(&o->notify_in),
			(unsigned long long)atomic_load(&o->notify_out),
			(unsigned long long)atomic_load(&o->ppc_served),
			(unsigned long long)atomic_load(&o->ppc_out), p->starts);
		launcher_print_rings(o, L->s, p->sys, L->regions);
	}
}

/* --trace: ask every running PD to write its trace file
 * (COMP_CTL_TRACE_WRITE) and wait, up to 10 s, until each has answered
 * (COMP_CTL_TRACE_DONE), died or closed its socket.  Other requests that
 * arrive meanwhile are dropped: the system is stopping. */
static void collect_traces(struct launcher *L)
{
	uint64_t deadline = mk_clock_now_ns() + 10000000000ull;
	struct comp_ctl_msg req = {.op = COMP_CTL_TRACE_WRITE};
	bool *waiting = calloc(L->s->npds, sizeof *waiting);
	struct pollfd *fds = calloc(L->s->npds, sizeof *fds);
	size_t *who = calloc(L->s->npds, sizeof *who), left = 0;

	if (!waiting || !fds || !who)
		abort();
	for (size_t i = 0; i < L->s->npds; i++)
		if (L->pd[i].pid && L->pd[i].ctl >= 0 &&
		    send(L->pd[i].ctl, &req, sizeof req, MSG_DONTWAIT | MSG_NOSIGNAL) ==
			    (ssize_t)sizeof req)
			waiting[i] = true, left++;
	while (left > 0 && mk_clock_now_ns() < deadline) {
		size_t n = 0;

		for (size_t i = 0; i < L->s->npds; i++)
			if (waiting[i]) {
				fds[n].fd = L->pd[i].ctl;
				fds[n].events = POLLIN;
				who[n++] = i;
			}
		if (poll(fds, n, 100) < 0 && errno != EINTR)
			break;
		for (size_t k = 0; k < n; k++) {
			struct comp_ctl_msg m;
			ssize_t got;
			size_t i = who[k];

			if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			while ((got = recv(fds[k].fd, &m, sizeof m, MSG_DONTWAIT)) ==
			       (ssize_t)sizeof m) {
				if (m.op != COMP_CTL_TRACE_DONE)
					continue;
				if (m.arg)
					say("PD '%s': its trace is empty: %s", L->pd[i].sys->name,
					    strerror((int)m.arg));
				waiting[i] = false;
				left--;
				break;
			}
			if (waiting[i] && (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR))) {
				waiting[i] = false; /* it died: its file stays empty */
				left--;
			}
		}
	}
	for (size_t i = 0; i < L->s->npds; i++)
		if (waiting[i])
			say("PD '%s' did not write its trace in 10 s", L->pd[i].sys->name);
	free(waiting);
	free(fds);
	free(who);
}

static void stop_all(struct launcher *L)
{
	uint64_t deadline;
	bool any;

	if (L->trace_dir >= 0)
		collect_traces(L);
	deadline = mk_clock_now_ns() + 2000000000ull;
	for (size_t i = 0; i < L->s->npds; i++)
		if (L->pd[i].pid)
			kill(L->pd[i].pid, SIGTERM);
	do {
		any = false;
		for (size_t i = 0; i < L->s->npds; i++) {
			int st;

			if (!L->pd[i].pid)
				continue;
			if (waitpid(L->pd[i].pid, &st, WNOHANG) == L->pd[i].pid)
				L->pd[i].pid = 0;
			else
				any = true;
		}
		if (any)
			usleep(2000);
	} while (any && mk_clock_now_ns() < deadline);
	for (size_t i = 0; i < L->s->npds; i++)
		if (L->pd[i].pid) {
			kill(L->pd[i].pid, SIGKILL);
			waitpid(L->pd[i].pid, NULL, 0);
			L->pd[i].pid = 0;
		}
}

/* --trace DIR: the directory (created if absent), and every PD's name a
 * plain file name in it. */
static int open_trace_dir(struct launcher *L, const char *dir)
{
	for (size_t i = 0; i < L->s->npds; i++) {
		const char *n = L->s->pds[i].name;

		if (!n[0] || strchr(n, '/') || n[0] == '.') {
			say("--trace: PD name '%s' cannot name a file in %s", n, dir);
			return -1;
		}
	}
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		say("--trace: cannot create the directory %s: %s", dir, strerror(errno));
		return -1;
	}
	L->trace_dir = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (L->trace_dir < 0) {
		say("--trace: cannot open the directory %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

static void run(struct launcher *L, int sfd)
{
	uint64_t deadline = L->o->timeout_s > 0
				    ? mk_clock_now_ns() + (uint64_t)(L->o->timeout_s * 1e9)
				    : MK_FOREVER;
	struct pollfd *fds = calloc(L->s->npds + 1, sizeof *fds);
	size_t *who = calloc(L->s->npds + 1, sizeof *who);

	if (!fds || !who)
		abort();
	start_next(L);
	while (!L->stopping) {
		size_t n = 0;
		int timeout = -1, r;

		fds[n].fd = sfd;
		fds[n++].events = POLLIN;
		for (size_t i = 0; i < L->s->npds; i++)
			if (L->pd[i].ctl >= 0) {
				fds[n].fd = L->pd[i].ctl;
				fds[n].events = POLLIN;
				who[n++] = i;
			}
		if (deadline != MK_FOREVER) {
			uint64_t now = mk_clock_now_ns();

			if (now >= deadline)
				break;
			timeout = (int)((deadline - now + 999999) / 1000000);
		}
		r = poll(fds, n, timeout);
		if (r < 0 && errno != EINTR) {
			say("poll: %s", strerror(errno));
			L->status = LAUNCH_CRASHED;
			break;
		}
		for (size_t k = 1; r > 0 && k < n; k++) {
			struct comp_ctl_msg m;
			ssize_t got = -1;

			if (!(fds[k].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			while (L->pd[who[k]].ctl == fds[k].fd &&
			       (got = recv(fds[k].fd, &m, sizeof m, MSG_DONTWAIT)) == (ssize_t)sizeof m)
				ctl_message(L, who[k], &m);
			/* The PD closed its end (it is exiting, or closed it
			 * itself): stop polling it; its exit still comes as
			 * SIGCHLD.  A message of the wrong size is ignored. */
			if (L->pd[who[k]].ctl == fds[k].fd && (got == 0 || (got < 0 && errno != EAGAIN &&
									   errno != EINTR))) {
				close(fds[k].fd);
				L->pd[who[k]].ctl = -1;
			}
		}
		if (r > 0 && (fds[0].revents & POLLIN)) {
			struct signalfd_siginfo si;

			while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
				if (si.ssi_signo == SIGUSR1)
					print_status(L);
				if (si.ssi_signo == SIGINT || si.ssi_signo == SIGTERM) {
					if (L->o->verbose)
						say("%s: stopping every PD", strsignal((int)si.ssi_signo));
					L->stopping = true;
				}
			}
			for (;;) {
				int st;
				pid_t pid = waitpid(-1, &st, WNOHANG);

				if (pid <= 0)
					break;
				for (size_t i = 0; i < L->s->npds; i++)
					if (L->pd[i].pid == pid) {
						reaped(L, i, st);
						break;
					}
			}
		}
	}
	free(fds);
	free(who);
}

int comp_launch(struct sys_system *s, const struct launch_opts *o)
{
	struct launcher L = {
		.s = s, .o = o, .waiting_init = -1, .status = LAUNCH_CLEAN, .trace_dir = -1};
	sigset_t set, old;
	int sfd;

	/* Not dumpable: a PD of the same uid cannot open the launcher's
	 * /proc/PID/fd (every region's memfd) or /proc/PID/mem. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (getenv("RUMPBRIDGE_PD_WRAPPER")) {
		size_t n = 0;
		char *save = NULL;

		L.wrapper_buf = strdup(getenv("RUMPBRIDGE_PD_WRAPPER"));
		if (!L.wrapper_buf)
			abort();
		for (char *t = strtok_r(L.wrapper_buf, " \t", &save); t && n < LAUNCH_WRAPPER_ARGS;
		     t = strtok_r(NULL, " \t", &save))
			L.wrapper[n++] = t;
	}
	if (o->trace_dir && open_trace_dir(&L, o->trace_dir) != 0) {
		free(L.wrapper_buf);
		return LAUNCH_USAGE;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		say("signalfd: %s", strerror(errno));
		return LAUNCH_STARTUP;
	}
	if (setup(&L) != 0) {
		close(sfd);
		return LAUNCH_STARTUP;
	}
	for (size_t i = 0; i < s->npds; i++)
		if (build_boot(&L, i) != 0) {
			close(sfd);
			return LAUNCH_STARTUP;
		}
	/* Highest priority first; file order among equals (insertion sort). */
	for (size_t i = 0; i < s->npds; i++) {
		size_t j = i;

		while (j > 0 && s->pds[L.order[j - 1]].priority < s->pds[i].priority) {
			L.order[j] = L.order[j - 1];
			j--;
		}
		L.order[j] = i;
	}
	fflush(stdout);
	run(&L, sfd);
	if (o->status)
		print_status(&L);
	stop_all(&L);
	for (size_t i = 0; i < s->npds; i++)
		reaper_stop(&L.pd[i]);
	close(sfd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	for (size_t i = 0; i < s->npds; i++) {
		if (L.pd[i].ctl >= 0)
			close(L.pd[i].ctl);
		if (L.pd[i].boot) {
			munmap(L.pd[i].boot, sizeof *L.pd[i].boot);
			close(L.pd[i].boot_fd);
		}
		/* no destroy of the shared objects: dead waiters may still count on them */
		munmap(L.pd[i].objs_region.base, L.pd[i].objs_region.size);
		close(L.pd[i].objs_region.handle);
	}
	for (size_t i = 0; i < s->nregions; i++)
		mk_region_destroy(&L.regions[i]);
	free(L.regions);
	free(L.pd);
	free(L.order);
	free(L.wrapper_buf);
	if (L.trace_dir >= 0)
		close(L.trace_dir);
	return L.status;
}
