/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The NetBSD rump kernel's stack behind the stack interface
 * (src/net/stack.h, stack_rump.c), with our host half of if_virt on the
 * rings (virtif_host.c, virt_ring.c), against the peer written by hand
 * (frame.c) on the other ends of the rings: a datagram sent through the
 * kernel appears on the tx ring as a correct Ethernet/IPv4/UDP frame (IP
 * and UDP checksums, addresses, MACs, payload checksum, order per
 * sender); frames put on the rx ring reach a bound socket's callback;
 * plain host threads that entered the domain (as a PD's RPC handler or
 * notification callback does) call sendto with no rumpbridge_adopt and
 * keep one lwp of their own; every error of the interface; the counters.
 *
 * The kernel lives in one domain for the whole program (a rump kernel
 * cannot be shut down within a process); each test brings a stack (an
 * interface virtN) up and down in it.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include <rump/rump.h>

#include <rumpbridge/dom.h>
#include <rumpbridge/ring.h>

#include "frame.h"
#include "net/stack.h"
#include "rb_test.h"

static struct dom *the_dom;

#define CAP 64u
#define EV_TX (UINT64_C(1) << 1) /* the peer returned tx buffers */
#define EV_RX (UINT64_C(1) << 2) /* the peer put frames on rx */
#define PORT_SINK 9000
#define PORT_SRC 5000
#define SENDERS 5

static const uint8_t stack_mac[6] = {0x02, 0, 0, 0, 0, 1};
static const uint8_t peer_mac[6] = {0x02, 0, 0, 0, 0, 2};

/* Payload: a header and filler derived from it, with a checksum. */
struct payload {
  uint32_t sender, seq, len, sum;
};

static uint32_t fnv(const uint8_t *p, size_t n) {
  uint32_t h = 2166136261u;

  for (size_t i = 0; i < n; i++)
    h = (h ^ p[i]) * 16777619u;
  return h;
}

static size_t make_payload(uint8_t *buf, uint32_t sender, uint32_t seq) {
  struct payload h = {sender, seq, 16 + (seq * 37 + sender * 11) % 1200, 0};

  for (uint32_t i = 16; i < h.len; i++)
    buf[i] = (uint8_t)(seq * 7 + i + sender);
  h.sum = fnv(buf + 16, h.len - 16);
  memcpy(buf, &h, sizeof(h));
  return h.len;
}

/* 0 when data is an intact payload; sender and seq out. */
static int check_payload(const uint8_t *data, size_t len, uint32_t *sender,
                         uint32_t *seq) {
  struct payload h;

  if (len < sizeof(h))
    return -1;
  memcpy(&h, data, sizeof(h));
  if (h.len != len || h.sum != fnv(data + 16, len - 16) || h.sender >= SENDERS)
    return -1;
  *sender = h.sender;
  *seq = h.seq;
  return 0;
}

struct fx {
  struct dom *d;
  void *txmem, *rxmem;
  size_t size;
  /* the stack's sides */
  struct comp_ring s_tx, s_rx;
  struct comp_ring_dom_event s_tx_ev, s_rx_ev;
  /* the peer's sides (plain host threads) */
  struct comp_ring p_tx, p_rx;
  struct mk_notification ntx, nrx;
  struct comp_ring_notification p_tx_n, p_rx_n;
  const struct net_stack_ops *ops;
  struct net_stack *s;
  uint32_t stack_ip, peer_ip, mask;
  /* the peer thread */
  pthread_t thr;
  bool running;
  atomic_bool stop;
  atomic_bool answer_arp;
  atomic_uint arp_requests;
  atomic_uint got[SENDERS];
  atomic_uint bad;
  uint32_t next_seq[SENDERS]; /* peer thread only */
};

static void *peer_main(void *arg);

static void *ring_mem(size_t size) {
  void *p = NULL;

  assert_int_equal(posix_memalign(&p, COMP_RING_PAGE, size), 0);
  return p;
}

static int setup(void **state) {
  struct fx *f = calloc(1, sizeof(*f));

  assert_non_null(f);
  f->ops = net_stack_find("rump");
  assert_non_null(f->ops);
  f->d = the_dom;
  f->size = comp_ring_size(CAP, (uint64_t)CAP * NET_BUF_SIZE);
  f->txmem = ring_mem(f->size);
  f->rxmem = ring_mem(f->size);
  assert_int_equal(comp_ring_format(f->txmem, f->size, CAP,
                                    (uint64_t)CAP * NET_BUF_SIZE, NET_BUF_SIZE),
                   0);
  assert_int_equal(comp_ring_format(f->rxmem, f->size, CAP,
                                    (uint64_t)CAP * NET_BUF_SIZE, NET_BUF_SIZE),
                   0);
  assert_int_equal(mk_notification_init(&f->ntx, 0), 0);
  assert_int_equal(mk_notification_init(&f->nrx, 0), 0);
  f->p_tx_n = (struct comp_ring_notification){&f->ntx, 1, 0};
  f->p_rx_n = (struct comp_ring_notification){&f->nrx, 1, 0};
  f->s_tx_ev = (struct comp_ring_dom_event){f->d, EV_TX};
  f->s_rx_ev = (struct comp_ring_dom_event){f->d, EV_RX};
  struct comp_ring_channel s_tx_ch = {comp_ring_notification_signal, &f->p_tx_n,
                                      comp_ring_dom_wait, &f->s_tx_ev, 0};
  struct comp_ring_channel s_rx_ch = {comp_ring_notification_signal, &f->p_rx_n,
                                      comp_ring_dom_wait, &f->s_rx_ev, 0};
  struct comp_ring_channel p_tx_ch = {comp_ring_dom_signal, &f->s_tx_ev,
                                      comp_ring_notification_wait, &f->p_tx_n,
                                      0};
  struct comp_ring_channel p_rx_ch = {comp_ring_dom_signal, &f->s_rx_ev,
                                      comp_ring_notification_wait, &f->p_rx_n,
                                      0};
  assert_int_equal(comp_ring_attach(&f->s_tx, f->txmem, f->size,
                                    COMP_RING_PRODUCER, CAP, &s_tx_ch),
                   0);
  assert_int_equal(comp_ring_attach(&f->p_tx, f->txmem, f->size,
                                    COMP_RING_CONSUMER, CAP, &p_tx_ch),
                   0);
  assert_int_equal(comp_ring_attach(&f->s_rx, f->rxmem, f->size,
                                    COMP_RING_CONSUMER, CAP, &s_rx_ch),
                   0);
  assert_int_equal(comp_ring_attach(&f->p_rx, f->rxmem, f->size,
                                    COMP_RING_PRODUCER, CAP, &p_rx_ch),
                   0);
  f->stack_ip = inet_addr("10.0.9.1");
  f->peer_ip = inet_addr("10.0.9.2");
  f->mask = inet_addr("255.255.255.0");
  atomic_store(&f->answer_arp, true);
  assert_int_equal(dom_enter(f->d), 0);
  *state = f;
  return 0;
}

static struct net_stack_config config(struct fx *f) {
  struct net_stack_config c = {.d = f->d,
                               .addr = f->stack_ip,
                               .netmask = f->mask,
                               .tx = &f->s_tx,
                               .rx = &f->s_rx,
                               .rx_events = EV_RX};

  memcpy(c.mac, stack_mac, 6);
  return c;
}

static void stack_up(struct fx *f) {
  struct net_stack_config c = config(f);

  assert_int_equal(f->ops->init(&f->s, &c), 0);
}

static void peer_start(struct fx *f) {
  atomic_store(&f->stop, false);
  assert_int_equal(pthread_create(&f->thr, NULL, peer_main, f), 0);
  f->running = true;
}

static void peer_stop(struct fx *f) {
  if (!f->running)
    return;
  atomic_store(&f->stop, true);
  assert_int_equal(pthread_join(f->thr, NULL), 0);
  f->running = false;
}

static int teardown(void **state) {
  struct fx *f = *state;

  peer_stop(f);
  if (f->s != NULL)
    assert_int_equal(f->ops->fini(f->s), 0);
  assert_int_equal(dom_leave(f->d), 0);
  comp_ring_detach(&f->s_tx);
  comp_ring_detach(&f->s_rx);
  comp_ring_detach(&f->p_tx);
  comp_ring_detach(&f->p_rx);
  /* the domain stays: the kernel lives in it until the process ends */
  mk_notification_destroy(&f->ntx);
  mk_notification_destroy(&f->nrx);
  free(f->txmem);
  free(f->rxmem);
  free(f);
  return 0;
}

/* Put one frame on the stack's rx ring (the peer's producer side), waiting
 * for a free buffer.  Peer thread or test thread, never both at once. */
static void peer_put(struct fx *f, const uint8_t *frame, size_t len) {
  struct comp_ring_desc d;
  void *buf;

  assert_int_equal(comp_ring_dequeue(&f->p_rx, &d, COMP_RING_WAIT), 0);
  buf = comp_ring_buf(&f->p_rx, &d);
  assert_non_null(buf);
  assert_true(d.len >= len);
  memcpy(buf, frame, len);
  d.len = (uint32_t)len;
  assert_int_equal(comp_ring_enqueue(&f->p_rx, &d, 0), 0);
}

/* The peer: takes the stack's frames, answers ARP, checks datagrams. */
static void *peer_main(void *arg) {
  struct fx *f = arg;
  struct comp_ring_desc d[32];
  uint8_t reply[64];

  while (!atomic_load(&f->stop)) {
    int n = comp_ring_dequeue_batch(&f->p_tx, d, 32, 0);

    if (n == -EAGAIN) {
      /* bounded, so that peer_stop is seen (the ring's wait
       * returns only when a frame is there) */
      comp_ring_wait_until(&f->p_tx, COMP_RING_DATA, rb_deadline(20000000));
      continue;
    }
    if (n < 0) {
      atomic_fetch_add(&f->bad, 1);
      continue;
    }
    for (int i = 0; i < n; i++) {
      const uint8_t *fr = comp_ring_buf(&f->p_tx, &d[i]);
      struct frame_info fi;
      uint32_t sender = 0, seq = 0;

      if (fr == NULL || frame_parse(fr, d[i].len, &fi) != 0) {
        atomic_fetch_add(&f->bad, 1);
      } else if (fi.kind == FRAME_ARP_REQUEST && fi.dst_ip == f->peer_ip) {
        atomic_fetch_add(&f->arp_requests, 1);
        if (atomic_load(&f->answer_arp))
          peer_put(f, reply, frame_arp_reply(reply, &fi, peer_mac, f->peer_ip));
      } else if (fi.kind == FRAME_UDP) {
        if (fi.dport != PORT_SINK || fi.src_ip != f->stack_ip ||
            fi.dst_ip != f->peer_ip || memcmp(fi.dst_mac, peer_mac, 6) != 0 ||
            check_payload(fi.payload, fi.len, &sender, &seq) != 0 ||
            seq != f->next_seq[sender]) {
          atomic_fetch_add(&f->bad, 1);
        } else {
          f->next_seq[sender]++;
          atomic_fetch_add(&f->got[sender], 1);
        }
      }
      d[i].len = NET_BUF_SIZE;
    }
    assert_int_equal(comp_ring_enqueue_batch(&f->p_tx, d, (unsigned)n, 0), n);
  }
  return NULL;
}

/* Wait (bounded) until the peer has count datagrams of sender. */
static void wait_got(struct fx *f, unsigned sender, unsigned count) {
  uint64_t end = rb_deadline(RB_HANG_NS);

  while (atomic_load(&f->got[sender]) < count) {
    if (mk_clock_now_ns() > end)
      fail_msg("peer got %u of %u datagrams of sender %u (bad %u)",
               atomic_load(&f->got[sender]), count, sender,
               atomic_load(&f->bad));
    dom_sleep_ns(1000000);
  }
}

/* Send count datagrams as sender, retrying (bounded) while the stack says
 * the ring is full or the peer's MAC is being resolved. */
static void send_all(struct fx *f, struct net_udp *u, uint32_t sender,
                     uint32_t count) {
  uint8_t buf[NET_UDP_PAYLOAD_MAX];
  uint64_t end = rb_deadline(RB_HANG_NS);

  for (uint32_t seq = 0; seq < count; seq++) {
    size_t len = make_payload(buf, sender, seq);
    int e;

    while ((e = f->ops->udp_sendto(u, buf, len, f->peer_ip, PORT_SINK)) ==
               -ENOBUFS ||
           e == -EAGAIN) {
      if (mk_clock_now_ns() > end)
        fail_msg("sender %u stuck at %u: %d", sender, seq, e);
      dom_sleep_ns(20000);
    }
    assert_int_equal(e, 0);
  }
}

/* The peer has the stack's MAC only after the first datagram: send one
 * (sender 0, seq 0) and wait for it, so that the kernel's ARP entry for
 * the peer is resolved (NetBSD holds one datagram per unresolved entry
 * and drops the older one silently). */
static void warm_up(struct fx *f, struct net_udp *u) {
  send_all(f, u, 0, 1);
  wait_got(f, 0, 1);
}

/* Send datagrams [from, to) of sender, retrying (bounded) on -ENOBUFS
 * and -EAGAIN. */
static void send_range(struct fx *f, struct net_udp *u, uint32_t sender,
                       uint32_t from, uint32_t to) {
  uint8_t buf[NET_UDP_PAYLOAD_MAX];
  uint64_t end = rb_deadline(RB_HANG_NS);

  for (uint32_t seq = from; seq < to; seq++) {
    size_t len = make_payload(buf, sender, seq);
    int e;

    while ((e = f->ops->udp_sendto(u, buf, len, f->peer_ip, PORT_SINK)) ==
               -ENOBUFS ||
           e == -EAGAIN) {
      if (mk_clock_now_ns() > end)
        fail_msg("sender %u stuck at %u", sender, seq);
      dom_sleep_ns(20000);
    }
    assert_int_equal(e, 0);
  }
}

struct sender_arg {
  struct fx *f;
  struct net_udp *u;
  uint32_t sender, count;
  bool enter;       /* a plain host thread that enters the domain */
  void *lwp_before; /* its lwp after its first datagram */
  void *lwp_after;  /* and after its last */
};

static void *sender_main(void *arg) {
  struct sender_arg *g = arg;

  if (g->enter)
    assert_int_equal(dom_enter(g->f->d), 0);
  send_range(g->f, g->u, g->sender, 0, 1);
  if (g->enter)
    g->lwp_before = rump_pub_lwproc_curlwp();
  send_range(g->f, g->u, g->sender, 1, g->count);
  if (g->enter) {
    g->lwp_after = rump_pub_lwproc_curlwp();
    assert_int_equal(dom_leave(g->f->d), 0);
  }
  return NULL;
}

/* Datagrams from a green thread, the test's entered main thread and two
 * plain host threads that entered the domain (as a PD's RPC handler or
 * notification callback does; no rumpbridge_adopt): all arrive as correct
 * frames, intact and in order per sender; each plain thread keeps one lwp
 * of its own across its calls (the kernel's implicit path would give it a
 * new one per call). */
static void test_send_every_kind(void **state) {
  struct fx *f = *state;
  uint32_t n = RB_SCALE(2000);
  struct net_udp *u[4];
  struct dom_thread *t;
  struct dom_thread_attr a = {.name = "sender", .vcpu = -1};
  struct sender_arg g[4];
  pthread_t th[2];
  struct net_stack_stats st;

  stack_up(f);
  peer_start(f);
  for (int i = 0; i < 4; i++)
    assert_int_equal(f->ops->udp_open(f->s, &u[i], NULL, NULL), 0);
  assert_int_equal(f->ops->udp_bind(u[0], 0, PORT_SRC), 0);
  warm_up(f, u[0]);
  for (int i = 0; i < 4; i++)
    g[i] = (struct sender_arg){f, u[i], (uint32_t)i + 1, n, i >= 2, NULL, NULL};
  assert_int_equal(dom_thread_create(f->d, &t, &a, sender_main, &g[0]), 0);
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_create(&th[i], NULL, sender_main, &g[2 + i]), 0);
  sender_main(&g[1]);
  assert_int_equal(dom_thread_join(t, NULL), 0);
  for (int i = 0; i < 2; i++)
    assert_int_equal(pthread_join(th[i], NULL), 0);
  assert_int_equal(f->ops->get_stats(f->s, &st), 0);
  for (unsigned s = 1; s < SENDERS; s++)
    wait_got(f, s, n);
  assert_int_equal(atomic_load(&f->bad), 0);
  for (int i = 2; i < 4; i++) {
    assert_non_null(g[i].lwp_before);
    assert_ptr_equal(g[i].lwp_before, g[i].lwp_after);
  }
  assert_ptr_not_equal(g[2].lwp_before, g[3].lwp_before);
  assert_int_equal(f->ops->get_stats(f->s, &st), 0);
  assert_int_equal(st.udp_sent, 4 * (uint64_t)n + 1);
  assert_true(st.tx_frames >= 4 * (uint64_t)n + 1);
  assert_int_equal(st.ring_errors, 0);
  for (int i = 0; i < 4; i++)
    assert_int_equal(f->ops->udp_close(u[i]), 0);
}

struct rx_log {
  struct fx *f;
  struct net_udp *u;
  atomic_uint got;
  atomic_uint bad;
  uint32_t next_seq;
  int sendto_in_callback;
};

static void on_datagram(void *arg, const void *data, size_t len, uint32_t src,
                        uint16_t sport) {
  struct rx_log *l = arg;
  uint32_t sender, seq;

  if (atomic_load(&l->got) == 0) /* calling the stack from a callback */
    l->sendto_in_callback = l->f->ops->udp_sendto(l->u, "x", 1, src, sport);
  if (src != l->f->peer_ip || sport != 4242 ||
      check_payload(data, len, &sender, &seq) != 0 || sender != 0 ||
      seq != l->next_seq) {
    atomic_fetch_add(&l->bad, 1);
    return;
  }
  l->next_seq++;
  atomic_fetch_add(&l->got, 1);
}

/* Datagrams from the peer reach the bound socket's callback intact and in
 * order; ones for an unbound port and broken frames are counted. */
static void test_receive(void **state) {
  struct fx *f = *state;
  uint32_t n = RB_SCALE(2000);
  uint8_t pl[NET_UDP_PAYLOAD_MAX], fr[NET_FRAME_MAX];
  struct rx_log l = {.f = f};
  struct net_stack_stats st;
  uint64_t end;
  size_t len;

  stack_up(f);
  assert_int_equal(f->ops->udp_open(f->s, &l.u, on_datagram, &l), 0);
  assert_int_equal(f->ops->udp_bind(l.u, f->stack_ip, 7000), 0);
  /* let the host half's rx thread sleep, then wake it with frames */
  dom_sleep_ns(10000000);
  for (uint32_t seq = 0; seq < n; seq++) {
    len = make_payload(pl, 0, seq);
    len = frame_udp(fr, peer_mac, stack_mac, f->peer_ip, f->stack_ip, 4242,
                    7000, pl, len);
    peer_put(f, fr, len);
  }
  for (int i = 0; i < 3; i++) {
    len = make_payload(pl, 0, 0);
    len = frame_udp(fr, peer_mac, stack_mac, f->peer_ip, f->stack_ip, 4242,
                    7001, pl, len);
    peer_put(f, fr, len);
  }
  end = rb_deadline(RB_HANG_NS);
  while (atomic_load(&l.got) < n ||
         (f->ops->get_stats(f->s, &st), st.udp_no_socket < 3)) {
    if (mk_clock_now_ns() > end && f->ops->get_stats(f->s, &st) == 0)
      fail_msg("received %u of %u (bad %u; rx_frames %lu rx_bad %lu "
               "udp_received %lu)",
               atomic_load(&l.got), n, atomic_load(&l.bad),
               (unsigned long)st.rx_frames, (unsigned long)st.rx_bad,
               (unsigned long)st.udp_received);
    dom_sleep_ns(1000000);
  }
  assert_int_equal(atomic_load(&l.bad), 0);
  assert_int_equal(l.sendto_in_callback, -EDEADLK);
  assert_int_equal(f->ops->get_stats(f->s, &st), 0);
  assert_int_equal(st.udp_received, n);
  assert_int_equal(st.udp_no_socket, 3);
  assert_int_equal(st.rx_frames, (uint64_t)n + 3);
  assert_int_equal(st.rx_bad, 0);
  assert_int_equal(f->ops->udp_close(l.u), 0);
}

static void *plain_sendto(void *arg) {
  struct fx *f = ((void **)arg)[0];
  struct net_udp *u = ((void **)arg)[1];
  static int e;

  e = f->ops->udp_sendto(u, "x", 1, f->peer_ip, PORT_SINK);
  return &e;
}

struct init_arg {
  struct fx *f;
  int e;
};

static void *plain_init(void *arg) {
  struct init_arg *ia = arg;
  struct net_stack_config c = config(ia->f);
  struct net_stack *s;

  ia->e = ia->f->ops->init(&s, &c);
  return NULL;
}

/* Every error of the interface that a caller can cause. */
static void test_errors(void **state) {
  struct fx *f = *state;
  struct net_stack_config c = config(f);
  struct net_stack *s2;
  struct net_udp *u, *u2;
  uint8_t big[NET_UDP_PAYLOAD_MAX + 1] = {0};
  pthread_t th;
  void *ret;

  assert_int_equal(f->ops->init(NULL, &c), -EINVAL);
  assert_int_equal(f->ops->init(&s2, NULL), -EINVAL);
  c.addr = 0;
  assert_int_equal(f->ops->init(&s2, &c), -EINVAL);
  c = config(f);
  c.mac[0] = 0x01; /* multicast */
  assert_int_equal(f->ops->init(&s2, &c), -EINVAL);
  c = config(f);
  c.rx_events = UINT64_C(1) << 63;
  assert_int_equal(f->ops->init(&s2, &c), -EINVAL);
  c = config(f);
  c.tx = &f->s_rx; /* wrong role */
  assert_int_equal(f->ops->init(&s2, &c), -EINVAL);
  struct init_arg ia = {f, 0};
  assert_int_equal(pthread_create(&th, NULL, plain_init, &ia), 0);
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_int_equal(ia.e, -EPERM);

  stack_up(f);
  c = config(f);
  assert_int_equal(f->ops->init(&s2, &c), -EBUSY);
  assert_int_equal(f->ops->udp_open(f->s, NULL, NULL, NULL), -EINVAL);
  assert_int_equal(f->ops->udp_open(f->s, &u, NULL, NULL), 0);
  assert_int_equal(f->ops->udp_open(f->s, &u2, NULL, NULL), 0);
  assert_int_equal(f->ops->udp_bind(u, 0, PORT_SRC), 0);
  assert_int_equal(f->ops->udp_bind(u, 0, PORT_SRC + 1), -EINVAL);
  assert_int_equal(f->ops->udp_bind(u2, 0, PORT_SRC), -EADDRINUSE);
  assert_int_equal(f->ops->udp_bind(u2, inet_addr("10.0.9.77"), PORT_SRC + 1),
                   -EADDRNOTAVAIL);
  assert_int_equal(
      f->ops->udp_sendto(u, big, sizeof(big), f->peer_ip, PORT_SINK),
      -EMSGSIZE);
  assert_int_equal(f->ops->udp_sendto(u, big, 8, f->peer_ip, 0), -EINVAL);
  assert_int_equal(f->ops->udp_sendto(u, big, 8, 0, PORT_SINK), -EINVAL);
  assert_int_equal(f->ops->udp_sendto(u, big, 8, 0xffffffffu, PORT_SINK),
                   -EINVAL);
  assert_int_equal(f->ops->udp_sendto(u, NULL, 8, f->peer_ip, PORT_SINK),
                   -EINVAL);
  assert_int_equal(
      f->ops->udp_sendto(u, big, 8, inet_addr("192.0.2.1"), PORT_SINK),
      -EHOSTUNREACH);
  void *args[2] = {f, u};
  assert_int_equal(pthread_create(&th, NULL, plain_sendto, args), 0);
  assert_int_equal(pthread_join(th, &ret), 0);
  assert_int_equal(*(int *)ret, -EPERM);

  /* no ARP answer: one datagram waits for the resolution, the next
   * is refused rather than silently displacing it */
  atomic_store(&f->answer_arp, false);
  peer_start(f);
  assert_int_equal(f->ops->udp_sendto(u, big, 8, f->peer_ip, PORT_SINK), 0);
  assert_int_equal(f->ops->udp_sendto(u, big, 8, f->peer_ip, PORT_SINK),
                   -EAGAIN);
  assert_int_equal(f->ops->udp_close(u), 0);
  assert_int_equal(f->ops->udp_close(u2), 0);
}

/* With the peer gone, the tx ring fills: sendto says -ENOBUFS and each
 * refused frame is counted once as tx_ring_full. */
static void test_tx_ring_full(void **state) {
  struct fx *f = *state;
  struct net_udp *u;
  struct net_stack_stats st;
  uint8_t pl[NET_UDP_PAYLOAD_MAX];
  unsigned ok = 0, full = 0;

  stack_up(f);
  peer_start(f);
  assert_int_equal(f->ops->udp_open(f->s, &u, NULL, NULL), 0);
  warm_up(f, u); /* ARP resolved, datagram 0 delivered */
  peer_stop(f);
  for (uint32_t seq = 1; seq < 4 * CAP; seq++) {
    size_t len = make_payload(pl, 0, seq);
    int e = f->ops->udp_sendto(u, pl, len, f->peer_ip, PORT_SINK);

    if (e == 0)
      ok++;
    else if (e == -ENOBUFS)
      full++;
    else
      fail_msg("sendto %d", e);
  }
  assert_true(ok <= CAP); /* as many as the ring holds buffers */
  assert_int_equal(ok + full, 4 * CAP - 1);
  assert_int_equal(f->ops->get_stats(f->s, &st), 0);
  assert_int_equal(st.tx_ring_full, full);
  assert_int_equal(st.udp_sent, 1 + ok);
  assert_int_equal(f->ops->udp_close(u), 0);
}

/* The stack comes up again after fini, on a new interface of the same
 * kernel, and works. */
static void test_again(void **state) {
  struct fx *f = *state;
  struct net_udp *u;

  for (int i = 0; i < 3; i++) {
    stack_up(f);
    peer_start(f);
    assert_int_equal(f->ops->udp_open(f->s, &u, NULL, NULL), 0);
    memset(f->next_seq, 0, sizeof(f->next_seq));
    atomic_store(&f->got[0], 0);
    warm_up(f, u);
    send_range(f, u, 0, 1, 100);
    wait_got(f, 0, 100);
    peer_stop(f);
    assert_int_equal(f->ops->fini(f->s), 0);
    f->s = NULL;
  }
  assert_int_equal(atomic_load(&f->bad), 0);
}

static int group_setup(void **state) {
  struct dom_config dc = {.name = "rump", .vcpus = 2};
  const char *v = getenv("NET_TEST_VCPUS");

  (void)state;
  if (v != NULL)
    dc.vcpus = (unsigned)atoi(v);
  return dom_create(&the_dom, &dc) == 0 ? 0 : -1;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_send_every_kind, setup, teardown),
      cmocka_unit_test_setup_teardown(test_receive, setup, teardown),
      cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_tx_ring_full, setup, teardown),
      cmocka_unit_test_setup_teardown(test_again, setup, teardown),
  };

  return cmocka_run_group_tests(tests, group_setup, NULL);
}
