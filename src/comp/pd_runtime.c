/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The PD runtime: main() of a protection domain process started by
 * rumpbridge-run, and the Microkit calls (include/rumpbridge/microkit.h).
 *
 * Start: read the boot record (a memfd named by $RUMPBRIDGE_PD_BOOT), map
 * the object regions it grants, start recording if the launcher gave a
 * trace file (pd_trace.c), map the memory regions at their vaddrs,
 * write the setvar variables (found by name with dlsym: link the PD with
 * -rdynamic), install the seccomp filter (pd_seccomp.c), run init(), tell
 * the launcher, then run the event loop:
 *   - active PD: the main thread waits on the PD's notification and runs
 *     notified() for each bit, lowest first; if the PD serves PPCs a second
 *     thread receives them and runs protected(); a lock makes one entry
 *     point run at a time;
 *   - passive PD: only the PPC loop, on the main thread;
 *   - domain component (boot->vcpus > 0): pd_domain.c;
 *   - the CAmkES shape (boot->plain_threads): as an active PD, with a
 *     domain created first (pd_domain_plain_start), both threads entered
 *     into it, and no entry lock (notified() and protected() run
 *     concurrently).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <ucontext.h>
#include <unistd.h>

#include <rumpbridge/comp.h>
#include <rumpbridge/microkit.h>
#include <rumpbridge/mk.h>
#include <rumpbridge/trace.h>

#include "pd_abi.h"
#include "pd_runtime.h"
#include "system.h"

char microkit_name[MICROKIT_PD_NAME_LENGTH];
bool microkit_passive;
seL4_Word microkit_irqs;
seL4_Word microkit_notifications;
seL4_Word microkit_pps;
seL4_Word microkit_rb_mrs[seL4_MsgMaxLength];

/* Optional entry points. */
extern microkit_msginfo protected(microkit_channel ch, microkit_msginfo msginfo)
	__attribute__((weak));
extern seL4_Bool fault(microkit_child child, microkit_msginfo msginfo,
		       microkit_msginfo *reply_msginfo) __attribute__((weak));

static struct comp_boot boot_copy;
const struct comp_boot *pd_boot;
static struct mk_region self_region;
struct comp_pd_objs *pd_self;
static struct comp_pd_objs *peer[COMP_CHANNELS + 1];
static pthread_mutex_t entry_lock = PTHREAD_MUTEX_INITIALIZER;
/* Outgoing PPCs of a native PD, one at a time per channel (the callee's
 * per-channel message buffer has room for one call). */
static pthread_mutex_t ch_lock[COMP_CHANNELS];

/* In the CAmkES shape (threads="plain") the entry points run
 * concurrently, each on its own plain thread: no lock. */
void pd_entry_enter(void)
{
	if (pd_boot->plain_threads)
		return;
	if (pd_dom)
		pd_domain_entry_enter();
	else
		pthread_mutex_lock(&entry_lock);
}

void pd_entry_exit(void)
{
	if (pd_boot->plain_threads)
		return;
	if (pd_dom)
		pd_domain_entry_exit();
	else
		pthread_mutex_unlock(&entry_lock);
}

/* Deferred signal (microkit_deferred_notify): sent when the entry ends.
 * Per thread: entry points of the CAmkES shape run concurrently. */
static _Thread_local int deferred_ch = -1;

/* ---- console ---- */

/* con_buf and con_len under con_lock: the green threads of a domain
 * component and the plain threads of a PD may print at the same time. */
static pthread_mutex_t con_lock = PTHREAD_MUTEX_INITIALIZER;
static char con_buf[512];
static size_t con_len;

static void con_flush_locked(void)
{
	size_t off = 0;

	while (off < con_len) {
		ssize_t n = write(1, con_buf + off, con_len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	con_len = 0;
}

static void con_flush(void)
{
	pthread_mutex_lock(&con_lock);
	con_flush_locked();
	pthread_mutex_unlock(&con_lock);
}

void microkit_dbg_putc(int c)
{
	pthread_mutex_lock(&con_lock);
	con_buf[con_len++] = (char)c;
	if (c == '\n' || con_len == sizeof con_buf)
		con_flush_locked();
	pthread_mutex_unlock(&con_lock);
}

void microkit_dbg_puts(const char *s)
{
	while (*s)
		microkit_dbg_putc(*s++);
}

static void put_dec(uint32_t x)
{
	char tmp[11];
	int i = 10;

	tmp[10] = 0;
	do {
		tmp[--i] = (char)('0' + x % 10);
		x /= 10;
	} while (x);
	microkit_dbg_puts(&tmp[i]);
}

void microkit_dbg_put8(seL4_Uint8 x)
{
	put_dec(x);
}

void microkit_dbg_put32(seL4_Uint32 x)
{
	put_dec(x);
}

static void bad_channel(const char *call, microkit_channel ch)
{
	microkit_dbg_puts(microkit_name);
	microkit_dbg_puts(" ");
	microkit_dbg_puts(call);
	microkit_dbg_puts(": invalid channel given '");
	microkit_dbg_put32(ch);
	microkit_dbg_puts("'\n");
}

/* Launcher-side problems go to stderr, as the launcher's own messages. */
void pd_die(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	con_flush();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "rumpbridge-run: PD '%s': %s\n", microkit_name[0] ? microkit_name : "?",
		msg);
	exit(COMP_EXIT_STARTUP);
}

/* ---- notifications ---- */

void microkit_notify(microkit_channel ch)
{
	const struct comp_pd_objs *p;

	if (ch > MICROKIT_MAX_CHANNEL_ID || !(microkit_notifications & (1ull << ch))) {
		bad_channel("microkit_notify", ch);
		return;
	}
	p = peer[pd_boot->ch[ch].objs];
	atomic_fetch_add_explicit(&pd_self->notify_out, 1, memory_order_relaxed);
	PD_TRACE(pd_trace_notify(ch));
	mk_notification_signal((struct mk_notification *)&p->ntfn, 1ull << pd_boot->ch[ch].peer_id);
}

void microkit_deferred_notify(microkit_channel ch)
{
	if (ch > MICROKIT_MAX_CHANNEL_ID || !(microkit_notifications & (1ull << ch))) {
		bad_channel("microkit_deferred_notify", ch);
		return;
	}
	/* seL4 keeps one deferred signal: the last one given wins. */
	deferred_ch = (int)ch;
}

static void ctl_flush(void);

void pd_entry_done(void)
{
	if (deferred_ch >= 0) {
		int ch = deferred_ch;

		deferred_ch = -1;
		microkit_notify((microkit_channel)ch);
	}
	con_flush();
	ctl_flush();
}

void microkit_irq_ack(microkit_channel ch)
{
	microkit_dbg_puts(microkit_name);
	microkit_dbg_puts(" microkit_irq_ack: IRQs are not supported on Linux (channel '");
	microkit_dbg_put32(ch);
	microkit_dbg_puts("')\n");
}

void microkit_deferred_irq_ack(microkit_channel ch)
{
	microkit_irq_ack(ch);
}

/* ---- PPC ---- */

/*
 * One PPC: the caller's message registers into the callee's buffer for
 * this channel, the call on the callee's endpoint, the reply's registers
 * back.  The channel's lock is held throughout (one call per channel at a
 * time: the buffer has room for one); a domain component's green caller
 * makes the blocking call on a porter (pd_domain_call_begin).
 */
static int ppc(microkit_channel ch, microkit_msginfo *info, seL4_Word *mrs, bool clamp)
{
	struct comp_pd_objs *p;
	struct comp_ipcbuf *buf;
	struct mk_msg m = {0};
	uint64_t count = seL4_MessageInfo_get_length(*info), token = 0;
	int how = 0, r;

	if (ch > MICROKIT_MAX_CHANNEL_ID || !(microkit_pps & (1ull << ch)))
		return -EPERM;
	if (count > COMP_MRS) {
		if (!clamp)
			return -EINVAL;
		count = COMP_MRS;
	}
	if (count && !mrs)
		return -EINVAL;
	if (pd_dom) {
		r = pd_domain_call_begin(&how);
		if (r)
			return r;
		pd_domain_ch_lock(ch);
	} else {
		pthread_mutex_lock(&ch_lock[ch]);
	}
	p = peer[pd_boot->ch[ch].objs];
	buf = &p->ipc[pd_boot->ch[ch].peer_id];
	if (count)
		memcpy(buf->mr, mrs, count * sizeof(uint64_t));
	m.label = info->words[0];
	m.len = 0;
	atomic_fetch_add_explicit(&pd_self->ppc_out, 1, memory_order_relaxed);
	con_flush();
	PD_TRACE(token = pd_trace_ppcall(ch, p));
	r = mk_endpoint_call(&p->ep, pd_boot->ch[ch].peer_id, &m);
	PD_TRACE(pd_trace_reply(ch, token, r));
	if (r == 0) {
		info->words[0] = (seL4_Word)m.label;
		count = seL4_MessageInfo_get_length(*info);
		if (count > COMP_MRS)
			count = COMP_MRS;
		if (mrs && count)
			memcpy(mrs, buf->mr, count * sizeof(uint64_t));
	} else {
		r = -EPIPE;
	}
	if (pd_dom) {
		pd_domain_ch_unlock(ch);
		pd_domain_call_end(how);
	} else {
		pthread_mutex_unlock(&ch_lock[ch]);
	}
	return r;
}

microkit_msginfo microkit_ppcall(microkit_channel ch, microkit_msginfo msginfo)
{
	int r = ppc(ch, &msginfo, microkit_rb_mrs, true);

	if (r == -EPERM) {
		bad_channel("microkit_ppcall", ch);
		return microkit_msginfo_new(0, 0);
	}
	if (r != 0) {
		microkit_dbg_puts(microkit_name);
		microkit_dbg_puts(" microkit_ppcall: the protection domain on channel '");
		microkit_dbg_put32(ch);
		microkit_dbg_puts(r == -EPIPE ? "' failed the call (it died)\n"
					      : "' was not called (no porter thread)\n");
		return microkit_msginfo_new(MICROKIT_PPC_FAILED, 0);
	}
	return msginfo;
}

int comp_ppcall(microkit_channel ch, microkit_msginfo *info, seL4_Word *mrs)
{
	if (!info)
		return -EINVAL;
	return ppc(ch, info, mrs, false);
}

void pd_serve_one(struct pd_call *c)
{
	microkit_msginfo in, out;
	struct comp_ipcbuf *buf;
	uint64_t count, token = 0;

	pd_entry_enter();
	PD_TRACE(token = pd_trace_protected((unsigned)c->badge));
	pd_self->in_service = c->reply;
	atomic_store_explicit(&pd_self->serving, 1, memory_order_release);
	buf = &pd_self->ipc[c->badge];
	in.words[0] = (seL4_Word)c->m.label;
	count = seL4_MessageInfo_get_length(in);
	if (count > COMP_MRS)
		count = COMP_MRS;
	memcpy(microkit_rb_mrs, buf->mr, count * sizeof(uint64_t));
	if (protected) {
		out = protected((microkit_channel)c->badge, in);
	} else {
		microkit_dbg_puts(microkit_name);
		microkit_dbg_puts(" has no protected() entry point\n");
		out = microkit_msginfo_new(0, 0);
	}
	count = seL4_MessageInfo_get_length(out);
	if (count > COMP_MRS)
		count = COMP_MRS;
	memcpy(buf->mr, microkit_rb_mrs, count * sizeof(uint64_t));
	atomic_fetch_add_explicit(&pd_self->ppc_served, 1, memory_order_relaxed);
	pd_entry_done();
	c->m.label = out.words[0];
	c->m.len = 0;
	atomic_store_explicit(&pd_self->serving, 0, memory_order_release);
	PD_TRACE(pd_trace_protected_end((unsigned)c->badge, token));
	mk_endpoint_reply(&pd_self->ep, &c->reply, &c->m);
	pd_entry_exit();
}

static void *serve_green(void *arg)
{
	pd_serve_one(arg);
	return NULL;
}

/* The PPC loop (a host thread): receive, check the badge, serve (in a
 * domain component on a call worker green thread). */
void pd_serve_ppcs(void)
{
	struct pd_call c;

	for (;;) {
		if (mk_endpoint_recv(&pd_self->ep, MK_FOREVER, &c.m, &c.badge, &c.reply) != 0)
			pd_die("receiving on the endpoint failed");
		/* The badge is the caller's word: only a channel on which the
		 * other end has pp="true" may call. */
		if (c.badge >= COMP_CHANNELS || !(pd_boot->serves & (1ull << c.badge))) {
			mk_endpoint_abort(&pd_self->ep, &c.reply);
			continue;
		}
		if (pd_dom && !pd_boot->plain_threads) {
			int r = dom_call(pd_dom, serve_green, &c, NULL);

			if (r)
				pd_die("cannot run protected() on a green thread: %s", mk_strerror(r));
		} else {
			pd_serve_one(&c);
		}
	}
}

static void *ppc_thread(void *arg)
{
	(void)arg;
	if (pd_boot->plain_threads && dom_enter(pd_dom) != 0)
		pd_die("the RPC thread cannot enter the domain");
	pd_serve_ppcs();
	return NULL;
}

/* ---- children ---- */

void pd_ctl_send(uint32_t op, uint32_t arg, uint32_t seq)
{
	struct comp_ctl_msg msg = {.op = op, .arg = arg, .seq = seq};

	while (send(pd_boot->ctl_fd, &msg, sizeof msg, MSG_NOSIGNAL) < 0 && errno == EINTR)
		;
}

/* Requests made during an entry point, sent when it returns. */
static _Thread_local struct comp_ctl_msg ctl_queue[64];
static _Thread_local unsigned ctl_queued;

static void ctl_defer(uint32_t op, uint32_t arg, uint32_t seq)
{
	if (ctl_queued == sizeof ctl_queue / sizeof ctl_queue[0])
		ctl_flush();
	ctl_queue[ctl_queued].op = op;
	ctl_queue[ctl_queued].arg = arg;
	ctl_queue[ctl_queued++].seq = seq;
}

static void ctl_flush(void)
{
	for (unsigned i = 0; i < ctl_queued; i++)
		pd_ctl_send(ctl_queue[i].op, ctl_queue[i].arg, ctl_queue[i].seq);
	ctl_queued = 0;
}

static bool is_child(microkit_child pd)
{
	return pd < 64 && (pd_boot->children & (1ull << pd));
}

void microkit_pd_restart(microkit_child pd, seL4_Word entry_point)
{
	(void)entry_point;
	if (!is_child(pd)) {
		bad_channel("microkit_pd_restart", pd);
		return;
	}
	ctl_defer(COMP_CTL_RESTART, pd, 0);
}

void microkit_pd_stop(microkit_child pd)
{
	if (!is_child(pd)) {
		bad_channel("microkit_pd_stop", pd);
		return;
	}
	ctl_defer(COMP_CTL_STOP, pd, 0);
}

void pd_handle_faults(void)
{
	uint64_t mask = atomic_exchange_explicit(&pd_self->faulted, 0, memory_order_acquire);

	for (unsigned id = 0; id < 64; id++) {
		const struct comp_fault *f;
		microkit_msginfo info, reply = microkit_msginfo_new(0, 0);

		if (!(mask & (1ull << id)))
			continue;
		f = &pd_self->child_fault[id];
		memset(microkit_rb_mrs, 0, sizeof microkit_rb_mrs);
		if (f->signo == SIGSEGV || f->signo == SIGBUS) {
			info = seL4_MessageInfo_new(seL4_Fault_VMFault, 0, 0, 4);
			microkit_rb_mrs[seL4_VMFault_IP] = f->ip;
			microkit_rb_mrs[seL4_VMFault_Addr] = f->addr;
			microkit_rb_mrs[seL4_VMFault_FSR] = f->signo;
		} else {
			info = seL4_MessageInfo_new(seL4_Fault_UserException, 0, 0, 5);
			microkit_rb_mrs[seL4_UserException_FaultIP] = f->ip;
			microkit_rb_mrs[seL4_UserException_Number] = f->signo;
		}
		if (!fault) {
			microkit_dbg_puts(microkit_name);
			microkit_dbg_puts(" has no fault() entry point; child stays stopped\n");
			ctl_defer(COMP_CTL_FAULT_DONE, id, f->seq);
			continue;
		}
		ctl_defer(fault(id, info, &reply) ? COMP_CTL_FAULT_RESUME : COMP_CTL_FAULT_DONE, id,
			  f->seq);
	}
}

/* ---- own faults: recorded for the launcher, then the default action ---- */

static void on_fault(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t *uc = uc_;
	uint64_t ip = 0;

#if defined(__x86_64__)
	ip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
	ip = (uint64_t)uc->uc_mcontext.pc;
#else
	(void)uc;
#endif
	if (pd_self) {
		pd_self->own_fault.signo = (uint32_t)sig;
		pd_self->own_fault.addr = (uint64_t)(uintptr_t)si->si_addr;
		pd_self->own_fault.ip = ip;
		atomic_store_explicit(&pd_self->own_fault_set, 1, memory_order_release);
	}
	/* SA_RESETHAND: the default action now; a fault re-executes and
	 * kills, a raised signal is delivered again on return. */
	if (si->si_code <= 0)
		raise(sig);
}

static void catch_faults(void)
{
	static const int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGABRT, SIGSYS};
	struct sigaction sa;

	mk_thread_prepare_current(); /* an alternate stack: stack overflows are reported too */
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);
}

/* ---- start ---- */

static void map_object_regions(void)
{
	int r = mk_region_attach(&self_region, pd_boot->self_fd, sizeof(struct comp_pd_objs));

	if (r)
		pd_die("cannot map its object region: %s", mk_strerror(r));
	close(pd_boot->self_fd); /* the region keeps its own descriptor */
	pd_self = self_region.base;
	if (pd_self->magic != COMP_OBJS_MAGIC)
		pd_die("bad object region");
	for (uint32_t i = 0; i < pd_boot->nobjs; i++) {
		struct mk_region reg;

		r = mk_region_attach(&reg, pd_boot->objs_fd[i], sizeof(struct comp_pd_objs));
		if (r)
			pd_die("cannot map a peer's object region: %s", mk_strerror(r));
		close(pd_boot->objs_fd[i]);
		peer[i] = reg.base;
	}
}

static void map_memory_regions(void)
{
	for (uint32_t i = 0; i < pd_boot->nmaps; i++) {
		const struct comp_boot_map *m = &pd_boot->maps[i];
		int prot = ((m->perms & SYS_PERM_R) ? PROT_READ : 0) |
			   ((m->perms & SYS_PERM_W) ? PROT_WRITE : 0) |
			   ((m->perms & SYS_PERM_X) ? PROT_EXEC : 0);
		void *want = (void *)(uintptr_t)m->vaddr;
		void *p = mmap(want, m->size, prot, MAP_SHARED | MAP_FIXED_NOREPLACE, m->fd, 0);

		if (p == MAP_FAILED)
			pd_die("cannot map memory region '%s' at vaddr 0x%llx (0x%llx bytes): %s%s",
			    m->region, (unsigned long long)m->vaddr, (unsigned long long)m->size,
			    strerror(errno),
			    errno == EEXIST ? " (the address is taken in this process: choose another vaddr)"
					    : "");
		if (p != want) { /* a kernel older than 4.17 ignores NOREPLACE */
			munmap(p, m->size);
			pd_die("cannot map memory region '%s' at vaddr 0x%llx: the address is taken",
			    m->region, (unsigned long long)m->vaddr);
		}
		close(m->fd);
	}
}

static void set_variables(void)
{
	for (uint32_t i = 0; i < pd_boot->nsetvars; i++) {
		const struct comp_boot_setvar *sv = &pd_boot->setvars[i];
		void *p = dlsym(RTLD_DEFAULT, sv->symbol);

		if (!p)
			pd_die("no symbol named '%s' in program '%s' for setvar (a global variable, and the program linked with -rdynamic)",
			    sv->symbol, pd_boot->program);
		memcpy(p, &sv->value, sizeof sv->value);
	}
}

int main(void)
{
	const char *env = getenv(COMP_BOOT_ENV);
	char *end;
	long fd;
	void *p;

	if (!env || !*env) {
		fprintf(stderr,
			"this program is a protection domain: start it with rumpbridge-run SYSTEM_FILE\n");
		return 2;
	}
	fd = strtol(env, &end, 10);
	if (*end || fd < 0 || fd > 65535)
		pd_die("bad %s", COMP_BOOT_ENV);
	p = mmap(NULL, sizeof(struct comp_boot), PROT_READ, MAP_SHARED, (int)fd, 0);
	if (p == MAP_FAILED)
		pd_die("cannot map the boot record: %s", strerror(errno));
	close((int)fd);
	unsetenv(COMP_BOOT_ENV);
	memcpy(&boot_copy, p, sizeof boot_copy);
	munmap(p, sizeof(struct comp_boot));
	pd_boot = &boot_copy;
	if (pd_boot->magic != COMP_BOOT_MAGIC)
		pd_die("bad boot record");
	memcpy(microkit_name, pd_boot->name, sizeof microkit_name - 1);
	microkit_name[sizeof microkit_name - 1] = 0;
	microkit_passive = pd_boot->passive != 0;
	microkit_notifications = pd_boot->notifications;
	microkit_pps = pd_boot->pps;
	microkit_irqs = pd_boot->irqs;

	map_object_regions();
	pd_trace_init();
	catch_faults();
	map_memory_regions();
	set_variables();
	pd_isolate();
	for (unsigned c = 0; c < COMP_CHANNELS; c++)
		pthread_mutex_init(&ch_lock[c], NULL);
	if (pd_boot->vcpus && !pd_boot->plain_threads)
		pd_domain_main();
	if (pd_boot->plain_threads)
		pd_domain_plain_start();

	pd_entry_enter();
	init();
	pd_entry_done();
	pd_entry_exit();
	pd_ctl_send(COMP_CTL_INIT_DONE, 0, 0);

	if (microkit_passive) {
		pd_serve_ppcs();
		return 0;
	}
	if (pd_boot->serves) {
		pthread_t t;

		if (pthread_create(&t, NULL, ppc_thread, NULL))
			pd_die("cannot start the PPC thread");
	}
	for (;;) {
		uint64_t word;

		if (mk_notification_wait(&pd_self->ntfn, &word) != 0)
			pd_die("waiting on the notification failed");
		pd_entry_enter();
		if (word & (1ull << COMP_BIT_FAULT))
			pd_handle_faults();
		for (unsigned ch = 0; ch < COMP_CHANNELS; ch++) {
			if (!(word & (1ull << ch)))
				continue;
			atomic_fetch_add_explicit(&pd_self->notify_in, 1, memory_order_relaxed);
			PD_TRACE(pd_trace_notified(ch, DOM_TR_COMP_HANDLER));
			notified(ch);
			PD_TRACE(pd_trace_notified_end(ch));
			pd_entry_done();
		}
		pd_entry_done();
		pd_entry_exit();
	}
}
