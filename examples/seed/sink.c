/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The sink: receives the datagrams net1's stack takes for port SEED_PORT
 * (net1 puts them on our receive ring and notifies us), checks each one
 * (magic, length, checksum of the filler, order per way), measures the
 * latency from the client's request to here, and reports: a progress line
 * a second while the clients send (unless RB_SEED_QUIET), then a summary
 * table, after measuring the CPU the whole system uses while idle.
 *
 * Threads: the Microkit event loop (notified(): the receive path) and the
 * reporter, started by init().  The latency samples are shared between
 * the two under `lock`; the counters are relaxed atomics in the stats
 * region.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microkit.h>
#include <rumpbridge/mk.h>
#include <rumpbridge/ring.h>

#include "seed.h"

uintptr_t rx_vaddr; /* our receive ring: net1 produces, we consume */
uintptr_t stats_vaddr;

#define MAX_SAMPLES (1u << 20) /* per way */

static struct comp_ring rx;
static struct seed_stats *st;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t *lat[SEED_WAYS];     /* ns, under lock */
static uint32_t nlat[SEED_WAYS];     /* under lock */
static uint32_t next_seq[SEED_WAYS]; /* main thread only */
static bool slow;		     /* RB_SEED_SINK_SLOW */

static const char *const way_name[SEED_WAYS] = {"1 ring + green thread", "2 PPC handler",
						"3 notification callback"};

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void out(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof line - 1)
		n = sizeof line - 1;
	if (write(1, line, (size_t)n) < 0) /* one write: lines of PDs never mix */
		return;
}

static void check(const unsigned char *p, size_t len, uint64_t now)
{
	struct seed_msg m;

	if (len < sizeof(m))
		goto bad;
	memcpy(&m, p, sizeof(m));
	if (m.magic != SEED_MAGIC || m.way >= SEED_WAYS || m.len != len ||
	    m.sum != seed_fnv(p + sizeof(m), len - sizeof(m)))
		goto bad;
	if (m.seq < next_seq[m.way]) { /* backwards or doubled (a gap is a drop
					  counted upstream) */
		atomic_fetch_add_explicit(&st->way[m.way].reordered, 1, memory_order_relaxed);
		return;
	}
	next_seq[m.way] = m.seq + 1;
	atomic_fetch_add_explicit(&st->way[m.way].received, 1, memory_order_relaxed);
	if (nlat[m.way] < MAX_SAMPLES)
		lat[m.way][nlat[m.way]++] = now - m.t_req_ns;
	return;
bad:
	atomic_fetch_add_explicit(&st->way[len >= sizeof(m) && m.way < SEED_WAYS ? m.way : 0].bad,
				  1, memory_order_relaxed);
}

void notified(microkit_channel ch)
{
	struct comp_ring_desc d[32];
	/* RB_SEED_SINK_SLOW (the tests): 8 datagrams per 5 ms, slower than
	 * the clients send, so that the ring fills and net1's backlog works */
	unsigned batch = slow ? 8 : 32;
	int n;

	(void)ch;
	do {
		while ((n = comp_ring_dequeue_batch(&rx, d, batch, COMP_RING_DEFER)) > 0) {
			uint64_t now = mk_clock_now_ns();

			pthread_mutex_lock(&lock);
			for (int i = 0; i < n; i++) {
				const unsigned char *p = comp_ring_buf(&rx, &d[i]);

				if (p != NULL)
					check(p, d[i].len, now);
				d[i].len = SEED_BUF;
			}
			pthread_mutex_unlock(&lock);
			comp_ring_enqueue_batch(&rx, d, (unsigned)n, COMP_RING_DEFER);
			if (slow) {
				struct timespec t = {0, 5000000};

				comp_ring_notify(&rx);
				nanosleep(&t, NULL);
			}
		}
	} while (comp_ring_want_data(&rx) == 0);
}

/* CPU time (ns) and wake-ups of the launcher and every PD process: the
 * schedstat of each of their threads (its first field is the time on a
 * CPU, its third the number of times it was put on one: a thread that
 * sleeps and wakes adds one each time). */
struct cpu_use {
	uint64_t ns, wakeups;
};

static void proc_cpu(pid_t pid, struct cpu_use *u)
{
	char path[64];
	struct dirent *e;
	DIR *dir;

	snprintf(path, sizeof path, "/proc/%d/task", (int)pid);
	if ((dir = opendir(path)) == NULL)
		return;
	while ((e = readdir(dir)) != NULL) {
		char p2[320];
		unsigned long long ns, wait, n;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p2, sizeof p2, "/proc/%d/task/%s/schedstat", (int)pid, e->d_name);
		if ((f = fopen(p2, "r")) != NULL) {
			if (fscanf(f, "%llu %llu %llu", &ns, &wait, &n) == 3) {
				u->ns += ns;
				u->wakeups += n;
			}
			fclose(f);
		}
	}
	closedir(dir);
}

static struct cpu_use system_cpu(int *procs)
{
	pid_t launcher = getppid();
	char path[64];
	struct dirent *e;
	struct cpu_use u = {0, 0};
	DIR *dir;

	proc_cpu(launcher, &u);
	*procs = 1;
	snprintf(path, sizeof path, "/proc/%d/task", (int)launcher);
	if ((dir = opendir(path)) == NULL)
		return u;
	while ((e = readdir(dir)) != NULL) {
		char p2[320];
		int pid;
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p2, sizeof p2, "/proc/%d/task/%s/children", (int)launcher, e->d_name);
		if ((f = fopen(p2, "r")) == NULL)
			continue;
		while (fscanf(f, "%d", &pid) == 1) {
			proc_cpu(pid, &u);
			(*procs)++;
		}
		fclose(f);
	}
	closedir(dir);
	return u;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t load(_Atomic uint64_t *c)
{
	return atomic_load_explicit(c, memory_order_relaxed); /* statistics */
}

static void sleep_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000};

	while (nanosleep(&t, &t) != 0)
		;
}

static bool clients_done(void)
{
	for (int w = 0; w < SEED_WAYS; w++)
		if (atomic_load(&st->way[w].started) && !atomic_load(&st->way[w].done))
			return false;
	return true;
}

static uint64_t total_received(void)
{
	uint64_t n = 0;

	for (int w = 0; w < SEED_WAYS; w++)
		n += load(&st->way[w].received);
	return n;
}

static void *reporter(void *arg)
{
	long secs = seed_env("RB_SEED_SECONDS", 5), idle_ms = seed_env("RB_SEED_IDLE_MS", 2000);
	bool quiet = seed_env("RB_SEED_QUIET", 0) != 0;
	const char *mode = getenv("RB_SEED_MODE");
	uint64_t prev = 0;
	struct cpu_use c0, c1;
	int procs;

	(void)arg;
	/* Traffic: a line a second until the clients are done (a crashed
	 * client never is: then until secs + 3 s). */
	for (long t = 1; t <= secs + 3; t++) {
		sleep_ms(1000);
		if (!quiet)
			out("[%2lds]  way 1: %llu asked %llu received  way 2: %llu / %llu  way "
			    "3: %llu / %llu\n",
			    t, (unsigned long long)load(&st->way[0].asked),
			    (unsigned long long)load(&st->way[0].received),
			    (unsigned long long)load(&st->way[1].asked),
			    (unsigned long long)load(&st->way[1].received),
			    (unsigned long long)load(&st->way[2].asked),
			    (unsigned long long)load(&st->way[2].received));
		if (t >= secs && clients_done())
			break;
	}
	/* Drain: until nothing arrives for 300 ms (at most 5 s). */
	for (int i = 0; i < 50; i++) {
		uint64_t now = total_received();

		if (i >= 3 && now == prev)
			break;
		prev = now;
		sleep_ms(100);
	}
	/* Idle: the whole system, with no client asking. */
	c0 = system_cpu(&procs);
	sleep_ms(idle_ms);
	c1 = system_cpu(&procs);

	out("\nseed demo: stack %s, mode %s, %ld vCPUs, %ld datagrams/s per client "
	    "for %ld s, "
	    "%ld-byte payloads\n",
	    st->stack[0] ? st->stack : "?", mode != NULL && *mode ? mode : "wire",
	    seed_env("RB_SEED_VCPUS", 2), seed_env("RB_SEED_RATE", 1000), secs,
	    seed_env("RB_SEED_BYTES", 64));
	out("%-26s %9s %9s %7s | %11s %8s %5s %5s %6s %7s | %8s %8s\n", "way", "asked",
	    "received", "lost", "client-full", "tx-ring", "arp", "other", "failed", "refused",
	    "p50 us", "p99 us");
	pthread_mutex_lock(&lock);
	for (int w = 0; w < SEED_WAYS; w++) {
		struct seed_way_stats *s = &st->way[w];
		uint64_t asked = load(&s->asked), rcv = load(&s->received);
		double p50 = 0, p99 = 0;

		if (nlat[w] > 0) {
			qsort(lat[w], nlat[w], sizeof(uint64_t), cmp_u64);
			p50 = (double)lat[w][nlat[w] / 2] / 1000.0;
			p99 = (double)lat[w][(uint64_t)nlat[w] * 99 / 100] / 1000.0;
		}
		out("%-26s %9llu %9llu %7llu | %11llu %8llu %5llu %5llu %6llu %7llu | %8.1f "
		    "%8.1f\n",
		    way_name[w], (unsigned long long)asked, (unsigned long long)rcv,
		    (unsigned long long)(asked - rcv), (unsigned long long)load(&s->client_full),
		    (unsigned long long)load(&s->drop_ring), (unsigned long long)load(&s->drop_arp),
		    (unsigned long long)load(&s->drop_other),
		    (unsigned long long)load(&s->client_failed),
		    (unsigned long long)load(&s->refused), p50, p99);
		out("seed-result way=%d asked=%llu received=%llu bad=%llu reordered=%llu "
		    "client_full=%llu drop_ring=%llu drop_arp=%llu drop_other=%llu "
		    "failed=%llu refused=%llu "
		    "p50_us=%.1f p99_us=%.1f done=%u\n",
		    w + 1, (unsigned long long)asked, (unsigned long long)rcv,
		    (unsigned long long)load(&s->bad), (unsigned long long)load(&s->reordered),
		    (unsigned long long)load(&s->client_full),
		    (unsigned long long)load(&s->drop_ring), (unsigned long long)load(&s->drop_arp),
		    (unsigned long long)load(&s->drop_other),
		    (unsigned long long)load(&s->client_failed),
		    (unsigned long long)load(&s->refused), p50, p99,
		    (unsigned)atomic_load(&s->done));
	}
	pthread_mutex_unlock(&lock);
	out("dropped before the sink: %llu (its ring and net1's backlog full; the backlog peaked "
	    "at "
	    "%llu)\n",
	    (unsigned long long)load(&st->sink_ring_full),
	    (unsigned long long)load(&st->sink_backlog_peak));
	out("NIC: %llu frames from net0, %llu to net0, %llu dropped (net0's rx ring full), %llu "
	    "refused by the TAP device; Linux UDP drops %llu\n",
	    (unsigned long long)load(&st->nic_frames[0]),
	    (unsigned long long)load(&st->nic_frames[1]),
	    (unsigned long long)load(&st->nic_rx_full),
	    (unsigned long long)load(&st->nic_tx_errors),
	    (unsigned long long)load(&st->linux_udp_drops));
	out("seed-sink dropped=%llu backlog_peak=%llu\n",
	    (unsigned long long)load(&st->sink_ring_full),
	    (unsigned long long)load(&st->sink_backlog_peak));
	out("idle CPU: %.2f ms in %ld ms, %llu wake-ups (the launcher and %d PD processes)\n",
	    (double)(c1.ns - c0.ns) / 1e6, idle_ms, (unsigned long long)(c1.wakeups - c0.wakeups),
	    procs - 1);
	out("seed-idle cpu_ms=%.3f window_ms=%ld wakeups=%llu\n", (double)(c1.ns - c0.ns) / 1e6,
	    idle_ms, (unsigned long long)(c1.wakeups - c0.wakeups));
	out("seed: end of summary\n");
	return NULL;
}

void init(void)
{
	struct comp_ring_channel c = {seed_ring_notify, (void *)(uintptr_t)SEED_CH_NET, NULL, NULL,
				      0};
	pthread_t t;

	st = (struct seed_stats *)stats_vaddr;
	slow = seed_env("RB_SEED_SINK_SLOW", 0) != 0;
	for (int w = 0; w < SEED_WAYS; w++)
		if ((lat[w] = malloc(MAX_SAMPLES * sizeof(uint64_t))) == NULL)
			_exit(2);
	if (comp_ring_attach(&rx, (void *)rx_vaddr, SEED_RING_REGION, COMP_RING_CONSUMER,
			     SEED_RING_CAP, &c) != 0 ||
	    comp_ring_want_data(&rx) < 0) {
		microkit_dbg_puts("sink: cannot attach the receive ring\n");
		_exit(2);
	}
	if (pthread_create(&t, NULL, reporter, NULL) != 0)
		_exit(2);
	pthread_detach(t);
}
