/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The NetBSD rump kernel in a Microkit PD (docs/microkit.md, "The rump
 * kernel in a PD"): a green thread of the PD's domain calls rump_init(),
 * then does real work in the kernel -- getpid, a UDP socket, a tmpfs
 * mount with a file written and read back -- and halts it with
 * rump_sys_reboot.  Meanwhile another green thread counts; the test
 * (check_rumppd.sh) checks that it advanced while the kernel booted and
 * worked, and that every step passed.  Built with RUMPPD_PANIC, it makes
 * the kernel panic after the boot instead (the kernel's own panic()), for
 * check_rumppd_panic.sh.
 */
#include <microkit.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h> /* rump.h needs the POSIX types first */

/* the rump headers name each call's symbol (rump_sys_open is
 * rump___sysimpl_open): <sys/cdefs.h> of NetBSD's, which is not here */
#define RB_STR2(x) #x
#define RB_STR(x) RB_STR2(x)
#define __RENAME(x) __asm__(RB_STR(x))
#include <rump/rump.h>
#include <rump/rump_syscalls.h>

#include <rumpbridge/dom.h>
#include <rumpbridge/mk_microkit.h>
#include <rumpbridge/rumpuser_microkit.h>

#include "../pd_common.h"

#define CH_TIMER 2
#define HEAP_SIZE 0x100000
#define STACK_STRIDE 0x9000 /* 4 KiB guard + 32 KiB stack */
#define NSTACKS 48
#define RUMPMEM_SIZE 0x2000000
#define FILE_BYTES 20000
/* The time slice (rumpbridge_microkit_config.slice_ns).  The test image
 * uses 1 ns: every yield point yields, so that the counter advancing
 * during rump_init does not depend on how fast the machine is; the
 * rumppd_noslice image (UINT64_MAX: never) is the boot-time baseline. */
#ifndef RUMPPD_SLICE_NS
#define RUMPPD_SLICE_NS 1
#endif

/* Patched by the Microkit tool (setvar_vaddr in rumppd.system). */
uintptr_t heap_base;
uintptr_t stack0_base;
uintptr_t rumpmem_base;

static struct dom *d;
static volatile uint64_t count, count_naps;
static volatile bool stop;
static unsigned failures;
static uint64_t t_boot0, t_boot1;
static unsigned char wbuf[FILE_BYTES], rbuf[FILE_BYTES];

static const char *const params[] = {"RUMP_VERBOSE=1", NULL};

static uint64_t cycles(void)
{
	uint64_t c;

	__asm__ volatile("isb; mrs %0, cntpct_el0" : "=r"(c));
	return c;
}

static void check(const char *what, bool ok, long v)
{
	pd_put(ok ? "rumppd: ok " : "rumppd: FAIL ");
	pd_put(what);
	pd_kv(v < 0 ? "neg" : "v", (uint64_t)(v < 0 ? -v : v));
	if (!ok)
		pd_kv("errno", (uint64_t)rumpbridge_microkit_errno);
	pd_put("\n");
	if (!ok)
		failures++;
}

/* Counts a burst, then naps 1 ms on the domain timer: it runs whenever
 * the rump kernel's threads block, and lets the PD go idle in between. */
static void *counter_main(void *arg)
{
	(void)arg;
	while (!stop) {
		for (int i = 0; i < 20; i++) {
			count++;
			dom_yield();
		}
		dom_sleep_ns(1000000);
		count_naps++;
	}
	return NULL;
}

static void stats(const char *tag)
{
	struct rumpbridge_microkit_stats rs;
	struct mk_microkit_stats ms;

	rumpbridge_microkit_get_stats(&rs);
	mk_microkit_get_stats(&ms);
	pd_put("rumppd: ");
	pd_put(tag);
	pd_kv("mem_size", rs.mem_size);
	pd_kv("mem_used", rs.mem_used);
	pd_kv("mem_peak", rs.mem_peak);
	pd_kv("mem_nfree", rs.mem_nfree);
	pd_kv("allocs", rs.allocs);
	pd_kv("frees", rs.frees);
	pd_kv("failed", rs.failed);
	pd_kv("slice_yields", rs.slice_yields);
	pd_kv("stacks_used", ms.stacks_used);
	pd_kv("heap_used", ms.heap_used);
	pd_kv("loop_returns", ms.loop_returns);
	pd_kv("timer_irqs", ms.timer_irqs);
	pd_kv("count", count);
	pd_put("\n");
}

static void tmpfs_file(void)
{
	/* NetBSD's struct tmpfs_args, version 1 (sys/fs/tmpfs/tmpfs_args.h) */
	struct {
		int ta_version;
		uint64_t ta_nodes_max;
		int64_t ta_size_max;
		uint32_t ta_root_uid, ta_root_gid, ta_root_mode;
	} args = {.ta_version = 1, .ta_root_mode = 0777};
	uint64_t sum_w = 0, sum_r = 0;
	long r;
	int fd;

	r = rump_sys_mkdir("/tmp", 0777);
	check("mkdir /tmp (or it exists)", r == 0 || rumpbridge_microkit_errno == 17, r);
	r = rump_sys_mount("tmpfs", "/tmp", 0, &args, sizeof(args));
	check("mount tmpfs /tmp", r == 0, r);
	fd = rump_sys_open("/tmp/hello", RUMP_O_RDWR | RUMP_O_CREAT, 0644);
	check("open /tmp/hello", fd >= 0, fd);
	if (fd < 0)
		return;
	for (unsigned i = 0; i < FILE_BYTES; i++) {
		wbuf[i] = (unsigned char)(i * 7 + (i >> 8));
		sum_w += wbuf[i] * (uint64_t)(i + 1);
	}
	r = rump_sys_write(fd, wbuf, FILE_BYTES);
	check("write 20000 bytes", r == FILE_BYTES, r);
	r = rump_sys_pread(fd, rbuf, FILE_BYTES, 0);
	check("pread 20000 bytes", r == FILE_BYTES, r);
	for (unsigned i = 0; i < FILE_BYTES; i++)
		sum_r += rbuf[i] * (uint64_t)(i + 1);
	check("file checksum", sum_r == sum_w, (long)(sum_r - sum_w));
	r = rump_sys_close(fd);
	check("close", r == 0, r);
}

/*
 * The kernel's own assembly string routines (libkern of NetBSD 7.99.34's
 * early aarch64 port) against plain loops, every alignment 0..15 and
 * length 0..95.  Its strlen is wrong (src/rumpuser/microkit/
 * libkern_fix.c): the image is linked with --wrap=rumpns_strlen, so the
 * kernel runs the fixed one (rumpns_strlen here); __real_rumpns_strlen
 * is the kernel's own, counted for the record.
 */
size_t rumpns_strlen(const char *);
size_t __real_rumpns_strlen(const char *);
void *rumpns_memcpy(void *, const void *, size_t);
void *rumpns_memset(void *, int, size_t);

static void libkern_check(void)
{
	static char src[128], dst[128];
	unsigned bad_strlen = 0, bad_real = 0, bad_memcpy = 0, bad_memset = 0;

	for (unsigned al = 0; al < 16; al++) {
		for (unsigned len = 0; len < 96; len++) {
			unsigned d = 15 - al;

			for (unsigned i = 0; i < sizeof(src); i++)
				src[i] = (char)('a' + (i + len) % 26);
			src[al + len] = '\0';
			bad_strlen += rumpns_strlen(src + al) != len;
			bad_real += __real_rumpns_strlen(src + al) != len;
			for (unsigned i = 0; i < sizeof(dst); i++)
				dst[i] = '#';
			rumpns_memcpy(dst + d, src + al, len);
			for (unsigned i = 0; i < sizeof(dst); i++) {
				char want = i >= d && i < d + len ? src[al + i - d] : '#';
				if (dst[i] != want) {
					bad_memcpy++;
					break;
				}
			}
			for (unsigned i = 0; i < sizeof(dst); i++)
				dst[i] = '#';
			rumpns_memset(dst + al, 'z', len);
			for (unsigned i = 0; i < sizeof(dst); i++) {
				char want = i >= al && i < al + len ? 'z' : '#';
				if (dst[i] != want) {
					bad_memset++;
					break;
				}
			}
		}
	}
	pd_put("rumppd: libkern kernel_strlen_wrong=");
	pd_put_u64(bad_real);
	pd_put(" of 1536 (replaced)\n");
	check("libkern strlen (the fixed one)", bad_strlen == 0, bad_strlen);
	check("libkern memcpy", bad_memcpy == 0, bad_memcpy);
	check("libkern memset", bad_memset == 0, bad_memset);
}

static void *rump_main(void *arg)
{
	uint64_t c0, c1;
	long r;
	int s;

	(void)arg;
	libkern_check();
	c0 = count;
	t_boot0 = cycles();
	r = rump_init();
	t_boot1 = cycles();
	c1 = count;
	check("rump_init", r == 0, r);
	pd_put("rumppd: boot");
	pd_kv("cycles", t_boot1 - t_boot0);
	pd_kv("cntfrq", ({
		   uint64_t f;
		   __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(f));
		   f;
	   }));
	pd_kv("counter_during_boot", c1 - c0);
	pd_put("\n");
	if (r != 0)
		return NULL;
	stats("after_boot");
#ifdef RUMPPD_PANIC
	{
		void rumpns_panic(const char *, ...) __attribute__((__noreturn__));

		pd_put("rumppd: panicking on purpose\n");
		rump_schedule(); /* in the kernel, as a panic is: a CPU and an lwp */
		rumpns_panic("rumppd: a panic on purpose");
	}
#endif

	c0 = count;
	r = rump_sys_getpid();
	check("getpid", r > 0, r);
	s = rump_sys_socket(2 /* AF_INET */, 2 /* SOCK_DGRAM */, 0);
	check("socket(AF_INET, SOCK_DGRAM)", s >= 0, s);
	if (s >= 0) {
		r = rump_sys_close(s);
		check("close socket", r == 0, r);
	}
	r = rump_sys_open("/no/such/file", 0);
	check("open of a missing file fails", r == -1 && rumpbridge_microkit_errno == 2,
	      rumpbridge_microkit_errno);
	tmpfs_file();
	/* a host file: a PD has none, and the hypercall says so by name */
	r = rump_pub_etfs_register("/hostfile", "/some/host/file", RUMP_ETFS_REG);
	check("etfs_register of a host file fails (EOPNOTSUPP)", r == 45, r);
	/* a sleep in the kernel (kpause: a timed cv wait, rump CPU released):
	 * the counter's 1 ms nap ends first, so it runs meanwhile */
	{
		struct {
			int64_t tv_sec;
			long tv_nsec;
		} ts = {0, 3000000};
		r = rump_sys_nanosleep((void *)&ts, NULL);
		check("nanosleep 3 ms in the kernel", r == 0, r);
	}
	pd_put("rumppd: work");
	pd_kv("counter_during_work", count - c0);
	pd_kv("failures", failures);
	pd_put("\n");
	stats("before_halt");
	pd_put("rumppd: halting\n");
	r = rump_sys_reboot(0, NULL);
	check("rump_sys_reboot returned", false, r);
	return NULL;
}

/* rump_sys_reboot ends in rumpuser_exit(0), which reports it and comes
 * here. */
void rumpbridge_microkit_exit(int status)
{
	stop = true;
	stats("halted");
	pd_put("rumppd: halted cleanly");
	pd_kv("status", (uint64_t)status);
	pd_kv("failures", failures);
	pd_put("\n");
	for (;;)
		dom_thread_exit(NULL);
}

void init(void)
{
	const struct mk_microkit_config mc =
		PD_MICROKIT_CONFIG(HEAP_SIZE, STACK_STRIDE, NSTACKS, CH_TIMER);
	struct dom_config dc = {
		.name = "rumppd",
		.post_capacity = 64,
		.max_workers = 2,
	};
	struct rumpbridge_microkit_config rc = {
		.mem = (void *)rumpmem_base,
		.mem_size = RUMPMEM_SIZE,
		.hostname = "rumppd",
		.params = params,
		.random_seed = 0x5eed5eed5eedull, /* a test system: fixed */
		.slice_ns = RUMPPD_SLICE_NS,
	};
	struct dom_thread_attr a = {.vcpu = -1, .detached = true};
	const char *what;
	int r;

	if ((r = pd_domain_create(&d, &mc, &dc, &what)) != 0)
		return check(what, false, r);
	rc.dom = d;
	if ((r = rumpbridge_microkit_setup(&rc)) != 0)
		return check("rumpbridge_microkit_setup", false, r);
	a.name = "counter";
	if ((r = dom_thread_create(d, NULL, &a, counter_main, NULL)) != 0)
		return check("dom_thread_create counter", false, r);
	a.name = "rump_main";
	if ((r = dom_thread_create(d, NULL, &a, rump_main, NULL)) != 0)
		return check("dom_thread_create rump_main", false, r);
	pd_put("rumppd: starting\n");
	if ((r = pd_domain_start(d)) != 0)
		return check("mk_microkit_start", false, r);
}

void notified(microkit_channel ch)
{
	mk_microkit_notified(ch);
}
