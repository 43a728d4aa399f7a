/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * idle.pml: the vCPU idle loop and the kicks of src/dom/sched.c, checked
 * with spin.  docs/model.md describes the model, its mapping to the C
 * code and its limits; tests/model/CMakeLists.txt runs it.
 *
 * Processes:
 *   vcpu    NV vCPUs running dom_vcpu_loop: pick (inbox, domain queue
 *           with the cascade kick, private queue), announce idleness,
 *           take the listener role if nobody has it (the listener waits
 *           on the domain notification, the others on their own), pick
 *           once more, wait, withdraw idleness.  A listener that takes a
 *           thread gives the role up and kicks another idle vCPU so that
 *           it takes the role.  A thread they run may wake another
 *           (enqueue with here = this vCPU: its private queue if no vCPU
 *           is idle) and pass a scheduling point that polls the domain
 *           notification and forwards a kick meant for the listener
 *           (sched_point).
 *   pusher  NP host threads each queueing one thread, free or bound to a
 *           vCPU (enqueue with here == NULL).
 *   event   EVENTS events signalled on the domain notification, or not.
 *           A vCPU whose wait returns an event delivers it and may wake
 *           a thread, which it keeps and runs itself (local wake-up:
 *           take_bits, v->keep; -DNO_LOCAL_WAKE leaves it out).
 *   check   at quiescence (spin's timeout), the end-state property.
 *
 * Property: no thread is left queued while every vCPU sleeps: at
 * quiescence every vCPU sleeps in futex_wait and the domain queue, the
 * inboxes and the private queues are empty; and outside events are not
 * stranded: one of the sleepers waits on the domain notification, which
 * holds no event.  With -DRUNFOREVER a thread may keep its vCPU for ever,
 * and the property is: nothing is left in the domain queue while some
 * vCPU sleeps, nor in the inbox or private queue of a sleeping vCPU, and
 * while some vCPU sleeps one sleeper listens and no event waits.
 *
 * -DWAITV: the protocol of hosts with futex_waitv (d->waitv): no
 * listener role; every idle vCPU waits on its own notification and on
 * the domain notification at once (mk_notification_wait2_until), and a
 * signal of the domain notification wakes one of its sleeping waiters
 * (FUTEX_WAKE nr=1: any one of them here, FIFO on Linux).  The same
 * properties hold with "one sleeper listens" read as "every sleeper
 * listens".  Without it: the listener protocol (the fallback).
 *
 * Bugs, to show that the check can fail (spin -DBUG -a idle.pml):
 *   BUG            no second pick() after the idle bit is set
 *   BUG_HANDOVER   a listener that takes a thread gives the role up
 *                  without kicking another idle vCPU
 *   BUG_TAKE_ONE   (WAITV) a waiter that finds bits on its own
 *                  notification takes only those, leaving the domain
 *                  notification's for the others, who may still sleep
 *   BUG_NOREG      (WAITV) a waiter does not count itself among the
 *                  domain notification's waiters, so a signal may skip
 *                  the futex wake
 *
 * Granularity.  Shared accesses are separate steps, except where merging
 * two of them cannot hide a behaviour: a relaxed hint and the access it
 * guards on the same variable (rq_pop's count and locked pop, the
 * notification's "load word, exchange word", any_idle and the mask load
 * of dom_sched_kick), whose combined outcome is always that of the
 * second access alone; and, with one waiter per notification, the
 * waiter's "s = seq; waiters++" and "futex_wait returns; waiters--",
 * around which a signaller cannot tell the difference; and the two
 * stores of listen_release (v->listening is read by its owner only).
 * seq itself is a flag, seqbump: "seq moved since the waiter read s".
 *
 * WAITV: the domain notification has several waiters, so its futex is
 * modelled as Linux has it: moved[v] ("its seq moved since v read s",
 * set for every v by the signaller's seq++), the entry check of
 * futex_waitv (EAGAIN if either seq moved, else queued: inq[v]) as its
 * own step, and the signaller's futex_wake(1) as a separate step that
 * dequeues one queued waiter, any of them.  A waiter's two exchanges of
 * the words are one step: a bit that lands between them is left for the
 * registered pass, which it wakes (seq moved) or which takes it; and
 * reading both seqs and both waiters++ are one step (as above, and a
 * signaller that moves b's seq in between leaves its bit in the word
 * the waiter exchanges next).
 */

#ifndef NV
#define NV 2		/* vCPUs */
#endif
#ifndef NP
#define NP 2		/* host threads queueing a thread */
#endif
#ifndef SPAWN
#define SPAWN 0		/* wake-ups done by running threads */
#endif
#ifndef EVENTS
#define EVENTS 0	/* events signalled on the domain notification */
#endif
#ifndef BOUND
#define BOUND 1		/* 0: threads are free, none bound to a vCPU */
#endif
/* KICK_AFTER_IDLE (what sched.c's idle loop does, and what the CTest
 * cases check): the cascade kick is made by the vCPU once its idle bit is
 * clear, whichever queue its thread came from.  Without it (the first
 * version of sched.c: a cascade inside pick() after a pop from the domain
 * queue) the -DRUNFOREVER property fails. */
#ifdef KICK_AFTER_IDLE
#define CASCADE 0
#else
#define CASCADE 1
#endif

#define KICK  1		/* DOM_KICK */
#define EVENT 2		/* an event bit (DOM_EVENT_MASK) */
#define IRQ   NV	/* the domain notification's index in the arrays */

byte n;			/* d->rq: threads in the domain queue */
byte inbox[NV];		/* v->inbox */
byte priv[NV];		/* v->priv_head..: owner only */
bit  idle[NV];		/* d->idle_mask */
byte spawn = SPAWN;	/* wake-ups left for running threads */

/* the notifications: 0..NV-1 the vCPUs' own, IRQ the domain's */
byte word[NV + 1];	/* n->word */
byte waiters[NV + 1];	/* n->waiters */
bit  seqbump[NV + 1];	/* n->seq != the s its waiter read */
#ifdef WAITV
bit  moved[NV];		/* d->irq's seq != the s vCPU v read */
bit  inq[NV];		/* v queued on d->irq's futex (futex_waitv) */
#endif
bit  asleep[NV];	/* vCPU in futex_wait (bookkeeping) */
bit  forever[NV];	/* RUNFOREVER: running a thread that keeps the vCPU */
byte listener = NV;	/* d->listener: NV = nobody */
bit  listening[NV];	/* v->listening (owner only) */

#ifdef WAITV
/* futex_wake(&d->irq->seq, 1): one queued waiter, any, if there is one */
inline wake_one_irq()
{
	atomic {
		if
		:: inq[0] -> inq[0] = 0
#if NV > 1
		:: inq[1] -> inq[1] = 0
#endif
#if NV > 2
		:: inq[2] -> inq[2] = 0
#endif
		:: else
		fi
	}
}
#endif

/* mk_notification_signal(notification k, b) */
inline signal(k, b)
{
	if
	:: atomic { (word[k] & b) == b }	/* fetch_or: already pending, */
						/* its signaller wakes: return */
	:: atomic { (word[k] & b) != b -> word[k] = word[k] | b };
		if
#ifdef WAITV
		:: waiters[k] != 0 && k == IRQ ->
			d_step {		/* seq++ */
				moved[0] = 1;
#if NV > 1
				moved[1] = 1;
#endif
#if NV > 2
				moved[2] = 1;
#endif
			};
			wake_one_irq()
		:: waiters[k] != 0 && k != IRQ -> seqbump[k] = 1	/* seq++, futex_wake */
#else
		:: waiters[k] != 0 -> seqbump[k] = 1	/* seq++, futex_wake */
#endif
		:: else
		fi
	fi
}

/* a seq_cst load of d->idle_mask: k = its lowest set bit, NV if none */
inline load_mask(k)
{
	d_step {
		k = 0;
		do
		:: k < NV && !idle[k] -> k++
		:: else -> break
		od
	}
}

/* dom_sched_kick_vcpu(u): the domain notification if u listens, else
 * u's own (w: scratch) */
inline kick_vcpu(u, w)
{
	if
	:: listener == u -> w = IRQ
	:: else -> w = u
	fi;
	signal(w, KICK);
	w = 0
}

/* if (any_idle(d)) dom_sched_kick(d): kick the lowest idle vCPU */
inline kick_idle(k, w)
{
	load_mask(k);
	if
	:: k < NV -> kick_vcpu(k, w)
	:: else
	fi;
	k = 0
}

/* rq_push(&d->rq) (fetch_add seq_cst under the lock), then the kick */
inline push_free(k, w)
{
	n++;
	kick_idle(k, w)
}

/* rq_push(&v->inbox), then if (is_idle(v)) kick v */
inline push_bound(u, w)
{
	inbox[u]++;
	if
	:: idle[u] -> kick_vcpu(u, w)
	:: else
	fi
}

/* pick(v): t = 1 if a thread was taken */
inline pick(v, t, k, w, cascade)
{
	/* rq_pop(&v->inbox) */
	atomic {
		if
		:: inbox[v] > 0 -> inbox[v]--; t = 1
		:: else -> t = 0
		fi
	};
	if
	:: t == 0 ->
		/* rq_pop(&d->rq), or else the private queue (owner only, so
		 * in the same step) */
		atomic {
			if
			:: n > 0 -> n--; t = 1
			:: else ->
				if
				:: priv[v] > 0 -> priv[v]--; t = 1; k = NV
				:: else
				fi
			fi
		};
		/* cascade: more left, and a vCPU idle: kick it */
		if
		:: cascade && t == 1 && k == 0 && n != 0 -> kick_idle(k, w)
		:: else -> k = 0
		fi
	:: else
	fi
}

/* the notification vCPU v waits on: the domain's if it listens */
#define WAITON(v) (listening[v] -> IRQ : v)

/* mk_notification_wait(WAITON(v), &bits) by vCPU v: no deadline; b =
 * the bits it returns */
inline ntf_wait(v, b)
{
	do
	:: atomic { word[WAITON(v)] != 0 -> b = word[WAITON(v)]; word[WAITON(v)] = 0; break }	/* got bits */
	:: else ->
		atomic { seqbump[WAITON(v)] = 0; waiters[WAITON(v)]++ };	/* s = seq; waiters++ */
		atomic {
			b = word[WAITON(v)]; word[WAITON(v)] = 0;
			if
			:: b != 0 -> waiters[WAITON(v)]--; break
			:: else -> asleep[v] = 1
			fi
		};
end_sleep:
		atomic { seqbump[WAITON(v)] -> asleep[v] = 0; waiters[WAITON(v)]-- }	/* futex_wait(&seq, s) */
	od
}

#ifdef WAITV
/* the words a WAITV waiter takes: both (BUG_TAKE_ONE: only its own if
 * that has bits) */
#ifdef BUG_TAKE_ONE
#define TAKE2(v, b) if :: word[v] != 0 -> b = word[v]; word[v] = 0 \
			:: else -> b = word[IRQ]; word[IRQ] = 0 fi
#else
#define TAKE2(v, b) b = word[v] | word[IRQ]; word[v] = 0; word[IRQ] = 0
#endif
#ifdef BUG_NOREG
#define IRQREG 0
#else
#define IRQREG 1
#endif

/* mk_notification_wait2_until(&v->ntf, d->irq, MK_FOREVER, ..): b = the
 * bits of both */
inline ntf_wait2(v, b)
{
	do
	:: atomic { (word[v] | word[IRQ]) != 0 -> TAKE2(v, b); break }	/* got bits */
	:: else ->
		/* sa = a.seq; sb = b.seq; a.waiters++; b.waiters++ */
		atomic { seqbump[v] = 0; moved[v] = 0; waiters[v]++; waiters[IRQ] = waiters[IRQ] + IRQREG };
		atomic {
			TAKE2(v, b);
			if
			:: b != 0 -> waiters[v]--; waiters[IRQ] = waiters[IRQ] - IRQREG; break
			:: else
			fi
		};
		/* futex_waitv: EAGAIN if a seq moved, else sleep */
		atomic {
			if
			:: seqbump[v] || moved[v]	/* EAGAIN */
			:: else -> asleep[v] = 1; inq[v] = 1
			fi
		};
end_sleep:
		/* woken by a wake of its own seq (the single waiter's: its seq
		 * moved) or dequeued by one of d->irq's; then waiters-- */
		atomic { (seqbump[v] || !inq[v]) ->
			asleep[v] = 0; inq[v] = 0; waiters[v]--; waiters[IRQ] = waiters[IRQ] - IRQREG }
	od
}
#endif

/* listen_release(v): give the role up; if another vCPU is idle and the
 * role is still free, kick it so that it takes the role. */
inline release(v, k, w)
{
	atomic { listening[v] = 0; listener = NV };	/* listening: owner only */
	d_step {	/* idle_mask without v: k = lowest other, NV if none */
		k = 0;
		do
		:: k < NV && (k == v || !idle[k]) -> k++
		:: else -> break
		od
	};
#ifndef BUG_HANDOVER
	if
	:: k < NV && listener == NV -> signal(k, KICK)	/* its own: it is not listening */
	:: else
	fi;
#endif
	k = 0
}

/* A thread runs on vCPU v until it gives the vCPU back. */
inline run_thread(v, u, k, b, w)
{
	/* It may wake another thread: enqueue(t, here = v). */
	if
	:: atomic {
		spawn > 0 -> spawn--;
		if
		:: u = NV			/* free */
#if BOUND
		:: select(u : 0 .. NV - 1)	/* bound to vCPU u */
#endif
		fi;
		if
		:: u == v -> priv[v]++; u = NV + 1	/* owner only: same step */
		:: else
		fi
	   };
		if
		:: u == NV + 1
		:: u < NV -> push_bound(u, w)
		:: u == NV ->
			/* relaxed load of the mask: no vCPU idle: keep it */
			load_mask(k);
			if
			:: k == NV -> atomic { priv[v]++; k = 0 }
			:: else -> k = 0; push_free(k, w)
			fi
		fi;
		u = 0
	:: skip
	fi;
	/* sched_point: poll the domain notification; a kick taken there is
	 * passed on to it if somebody listens. */
	if
	:: atomic { b = word[IRQ]; word[IRQ] = 0 };
		if
		:: (b & KICK) && listener != NV && listener != v -> b = 0; signal(IRQ, KICK)
		:: else -> b = 0
		fi
	:: skip
	fi;
#ifdef RUNFOREVER
	if
	:: forever[v] = 1;
end_forever:
		false
	:: skip
	fi
#endif
}

active [NV] proctype vcpu()
{
	byte v = _pid, u, k, b, w;
	bit t;

	assert(v < NV);
	do
	:: pick(v, t, k, w, CASCADE);
		if
		:: t ->
			if
			:: listening[v] -> release(v, k, w)
			:: else
			fi;
#ifdef KICK_AFTER_IDLE
			if
			:: n != 0 -> kick_idle(k, w)
			:: else
			fi
#else
			skip
#endif
		:: else ->
			idle[v] = 1;		/* atomic_fetch_or, seq_cst */
#ifndef WAITV
			/* take the listener role if nobody has it */
			atomic {
				if
				:: !listening[v] && listener == NV -> listener = v; listening[v] = 1
				:: else
				fi
			};
#endif
#ifndef BUG
			pick(v, t, k, w, CASCADE);	/* look once more */
#endif
			if
			:: !t ->
#ifdef WAITV
				ntf_wait2(v, b);
#else
				ntf_wait(v, b);
#endif
				/* take_bits (after the idle bit is cleared below;
				 * only v sees t and b, so deciding here is the
				 * same): delivering an event may wake a thread,
				 * which v keeps and runs (local wake-up), a take
				 * like a pick: nothing queued, nobody kicked */
				atomic {
#ifndef NO_LOCAL_WAKE
					if
					:: (b & EVENT) ->
						if
						:: t = 1
						:: skip
						fi
					:: else
					fi;
#endif
					b = 0
				}
			:: else
			fi;
			idle[v] = 0;		/* atomic_fetch_and */
			if
			:: t && listening[v] -> release(v, k, w)
			:: else
			fi;
#ifdef KICK_AFTER_IDLE
			if
			:: t && n != 0 -> kick_idle(k, w)
			:: else
			fi
#else
			skip
#endif
		fi;
		if
		:: t -> t = 0; run_thread(v, u, k, b, w)	/* switch_to */
		:: else			/* take_bits, dom_timer_run */
		fi
	od
}

active [NP] proctype pusher()
{
	byte u, k, w;

	if
	:: push_free(k, w)
#if BOUND
	:: select(u : 0 .. NV - 1); push_bound(u, w); u = 0
#endif
	fi
}

#if EVENTS > 0
active [EVENTS] proctype event()
{
	if
	:: signal(IRQ, EVENT)			/* dom_event_signal */
	:: skip
	fi
}
#endif

/* At quiescence (no process can move): the end-state property. */
active proctype check()
{
	byte v;
	bit some;

	timeout ->
	d_step {
		v = 0;
		some = 0;
		do
		:: v < NV ->
#ifdef RUNFOREVER
			assert(forever[v] || asleep[v]);
			assert(!asleep[v] || (inbox[v] == 0 && priv[v] == 0 && n == 0));
#else
			assert(asleep[v]);
			assert(inbox[v] == 0 && priv[v] == 0);
#endif
			some = some || asleep[v];
			v++
		:: else -> break
		od;
#ifndef RUNFOREVER
		assert(n == 0);
#endif
		/* events: while anyone sleeps, a sleeper listens (WAITV: every
		 * sleeper is queued on the domain notification), and no event
		 * is left on the domain notification */
#ifdef WAITV
		v = 0;
		do
		:: v < NV -> assert(!asleep[v] || inq[v]); v++
		:: else -> break
		od;
#else
		assert(!some || (listener < NV && asleep[listener] && listening[listener]));
#endif
		assert(!some || (word[IRQ] & EVENT) == 0);
		v = 0;
		some = 0
	}
}
