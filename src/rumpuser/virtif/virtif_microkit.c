/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * rumpcomp_virt_*: the host half of the rump kernel's if_virt in a seL4
 * Microkit PD, on two sDDF rings to a NIC PD
 * (include/rumpbridge/rumpuser_microkit_virtif.h; the frame copying is
 * the backend-neutral src/net/virt_ring.c, shared with the Linux network
 * component's host half).
 *
 * if_virt's contract (NetBSD sys/rump/net/lib/libvirtif/if_virt.c and
 * virtif_user.h, the kernel of ../shared/rumpkernel-aarch64):
 *   rumpcomp_virt_create(devstr, sc, enaddr, &viu)
 *       from "virtN" create, devstr "N", holding a rump CPU; enaddr is
 *       the MAC the driver attaches with (we write ours); returns 0 or a
 *       NetBSD errno;
 *   rumpcomp_virt_send(viu, iov, n): one frame, holding a rump CPU;
 *       nothing is returned (a frame may be dropped);
 *   rumpcomp_virt_dying(viu), rumpcomp_virt_destroy(viu): from "virtN"
 *       destroy: stop the receiver, then free;
 *   rump_virtif_virt_deliverpkt(sc, iov, n): the kernel's entry for a
 *       received frame, from a thread holding a rump CPU with an lwp
 *       (virtif_user.c's receiver: rumpuser_component_kthread once, then
 *       a rump CPU around each delivery).
 *
 * One vCPU, cooperative: nothing here yields between taking a tx buffer
 * and queuing it, so the kernel's senders are serialised without a lock.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>

#include <microkit.h>

#include <rumpbridge/dom.h>
#include <rumpbridge/ring.h>
#include <rumpbridge/rumpuser_microkit_virtif.h>

#include "net/virt_ring.h"

/* The buffers this PD formats are the ones virt_ring.c returns whole. */
_Static_assert(RUMPBRIDGE_VIRTIF_BUF_SIZE == NET_BUF_SIZE, "virtif buffer size");

struct virtif_sc; /* the kernel's softc */
struct virtif_user;

/* if_virt's hypercalls (virtif_user.h), defined here. */
int rumpcomp_virt_create(const char *devstr, struct virtif_sc *sc, uint8_t *enaddr,
			 struct virtif_user **viup);
void rumpcomp_virt_send(struct virtif_user *viu, struct iovec *iov, size_t iovlen);
int rumpcomp_virt_dying(struct virtif_user *viu);
void rumpcomp_virt_destroy(struct virtif_user *viu);
/* the kernel's (if_virt.c, librumpnet_virtif.a) */
void rump_virtif_virt_deliverpkt(struct virtif_sc *sc, struct iovec *iov, size_t iovlen);
void rump_schedule(void);
void rump_unschedule(void);
void *rumpuser_component_unschedule(void);
void rumpuser_component_schedule(void *cookie);
void rumpuser_component_kthread(void);
void rumpuser_component_kthread_release(void);
int rumpuser_component_errtrans(int hosterr);

#define VIF_MAGIC 0x76697274u /* "virt" */

static struct {
	struct rumpbridge_microkit_virtif *cfg;
	struct comp_ring tx, rx;
	struct net_virt_counters c;
	struct virtif_sc *sc;
	struct dom_thread *rxthr;
	struct dom_sem gone; /* the receive thread posts it when it ends */
	uint64_t rx_wakeups;
	uint32_t magic;
	bool created, dying;
} vif;

static int nic_signal(void *ctx)
{
	microkit_notify((microkit_channel)(uintptr_t)ctx);
	return 0;
}

int rumpbridge_microkit_virtif_format(const struct rumpbridge_microkit_virtif *v)
{
	size_t need;
	int e;

	if (v == NULL || v->tx == NULL || v->rx == NULL)
		return -EINVAL;
	need = comp_ring_size(v->capacity, RUMPBRIDGE_VIRTIF_BUF_SIZE);
	if (need == 0)
		return -EINVAL;
	if (v->tx_size < need || v->rx_size < need)
		return -ERANGE;
	/* the data region: what the layout leaves of each mapping */
	e = comp_ring_format(v->tx, v->tx_size, v->capacity,
			     v->tx_size - comp_ring_size(v->capacity, 0), RUMPBRIDGE_VIRTIF_BUF_SIZE);
	if (e == 0)
		e = comp_ring_format(v->rx, v->rx_size, v->capacity,
				     v->rx_size - comp_ring_size(v->capacity, 0),
				     RUMPBRIDGE_VIRTIF_BUF_SIZE);
	return e;
}

int rumpbridge_microkit_virtif_setup(struct rumpbridge_microkit_virtif *v)
{
	if (v == NULL || v->dom == NULL || v->channel >= 62)
		return -EINVAL;
	if (vif.created)
		return -EBUSY;
	vif.cfg = v;
	vif.magic = VIF_MAGIC;
	return 0;
}

int rumpbridge_microkit_virtif_get_stats(struct rumpbridge_microkit_virtif_stats *s)
{
	if (s == NULL)
		return -EINVAL;
	*s = (struct rumpbridge_microkit_virtif_stats){
		.tx_frames = net_virt_counter(&vif.c.tx_frames),
		.tx_full = net_virt_counter(&vif.c.tx_ring_full),
		.tx_too_big = net_virt_counter(&vif.c.tx_too_big),
		.rx_frames = net_virt_counter(&vif.c.rx_frames),
		.rx_bad = net_virt_counter(&vif.c.rx_bad),
		.ring_errors = net_virt_counter(&vif.c.ring_errors),
		.rx_wakeups = vif.rx_wakeups,
		.rx_thread = vif.rxthr != NULL,
	};
	return 0;
}

static void deliver(void *arg, void *frame, size_t len)
{
	struct iovec iov = {.iov_base = frame, .iov_len = len};

	(void)arg;
	rump_virtif_virt_deliverpkt(vif.sc, &iov, 1);
}

static void *rx_main(void *arg)
{
	struct dom *d = vif.cfg->dom;
	uint64_t mask = UINT64_C(1) << vif.cfg->channel, bits;
	int n, e;

	(void)arg;
	rumpuser_component_kthread();
	while (!vif.dying) {
		rump_schedule();
		do {
			n = net_virt_ring_rx(&vif.rx, deliver, NULL, &vif.c);
		} while (n == (int)NET_VIRT_RX_BATCH);
		rump_unschedule();
		if (comp_ring_notify(&vif.rx) < 0)
			net_virt_count(&vif.c.ring_errors);
		if (n > 0)
			continue;
		/* Empty: ask the NIC for a signal, sleep on the channel's
		 * event bit (dying raises it too).  A corrupt ring (n < 0,
		 * or want_data failing) is not spun on: sleep until the next
		 * signal. */
		e = n == 0 ? comp_ring_want_data(&vif.rx) : -EPROTO;
		if (e < 0)
			net_virt_count(&vif.c.ring_errors);
		if (e != 0) {
			dom_event_wait(d, mask, &bits);
			vif.rx_wakeups++;
		}
	}
	rumpuser_component_kthread_release();
	dom_sem_post(&vif.gone);
	return NULL;
}

int rumpcomp_virt_create(const char *devstr, struct virtif_sc *sc, uint8_t *enaddr,
			 struct virtif_user **viup)
{
	struct dom_thread_attr a = {.name = "virtif-rx", .vcpu = -1};
	struct comp_ring_channel ch = {.signal = nic_signal};
	struct rumpbridge_microkit_virtif *v = vif.cfg;
	int e;

	if (devstr == NULL || strcmp(devstr, "0") != 0 || vif.magic != VIF_MAGIC || v == NULL ||
	    vif.created)
		return rumpuser_component_errtrans(ENXIO);
	ch.signal_ctx = (void *)(uintptr_t)v->channel;
	e = comp_ring_attach(&vif.tx, v->tx, v->tx_size, COMP_RING_PRODUCER, v->capacity, &ch);
	if (e == 0) {
		e = comp_ring_attach(&vif.rx, v->rx, v->rx_size, COMP_RING_CONSUMER, v->capacity,
				     &ch);
		if (e != 0)
			comp_ring_detach(&vif.tx);
	}
	if (e != 0)
		return rumpuser_component_errtrans(ENXIO); /* rings not formatted */
	/* no other thread touches the counters yet (the rx thread is
	 * created below): a plain reset is enough */
	memset(&vif.c, 0, sizeof(vif.c));
	vif.rx_wakeups = 0;
	vif.dying = false;
	vif.sc = sc;
	dom_sem_init(&vif.gone, 0);
	e = dom_thread_create(v->dom, &vif.rxthr, &a, rx_main, NULL);
	if (e != 0) {
		comp_ring_detach(&vif.rx);
		comp_ring_detach(&vif.tx);
		dom_sem_destroy(&vif.gone);
		return rumpuser_component_errtrans(e == -ENOMEM ? ENOMEM : EAGAIN);
	}
	memcpy(enaddr, v->mac, 6);
	vif.created = true;
	*viup = (struct virtif_user *)&vif;
	/* the NIC PD attaches to the rings on its first notification */
	microkit_notify(v->channel);
	return 0;
}

void rumpcomp_virt_send(struct virtif_user *viu, struct iovec *iov, size_t iovlen)
{
	if ((void *)viu != (void *)&vif || !vif.created)
		return;
	(void)net_virt_ring_send(&vif.tx, iov, iovlen, &vif.c); /* a drop is counted */
}

int rumpcomp_virt_dying(struct virtif_user *viu)
{
	if ((void *)viu != (void *)&vif || !vif.created)
		return 0;
	vif.dying = true;
	dom_event_signal(vif.cfg->dom, UINT64_C(1) << vif.cfg->channel);
	return 0;
}

void rumpcomp_virt_destroy(struct virtif_user *viu)
{
	void *cookie;

	if ((void *)viu != (void *)&vif || !vif.created)
		return;
	/* The receive thread may need a rump CPU to finish its burst: wait
	 * for it with ours given back. */
	cookie = rumpuser_component_unschedule();

	while (dom_sem_wait(&vif.gone) != 0)
		;
	rumpuser_component_schedule(cookie);
	dom_thread_join(vif.rxthr, NULL);
	vif.rxthr = NULL;
	dom_sem_destroy(&vif.gone);
	comp_ring_detach(&vif.rx);
	comp_ring_detach(&vif.tx);
	vif.created = false;
}
