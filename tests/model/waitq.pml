/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * waitq.pml: the block/wake protocol of src/dom/waitq.c, checked with spin.
 * docs/model.md describes the model, its mapping to the C code and its
 * limits; tests/model/CMakeLists.txt runs it.
 *
 * The primitive is a semaphore (src/dom/sem.c, take and dom_sem_post): a
 * waiter takes a unit under q->lock or blocks; a post hands its unit to
 * the first waiter it can claim (dom_waitq_claim_first), or counts it.
 *
 * Processes:
 *   green   a green thread (GREEN=1): one timed wait (the timer may never
 *           fire, which is an untimed wait)
 *   host    a host thread: HROUNDS waits on its own notification, each
 *           timed or not; a timed-out wait tries to claim itself
 *   waker   NWAKE posters
 *   timer   dom_timer_run firing the green thread's deadline, at any
 *           time, or never
 *   stray   another protocol's signal of the host's notification (a
 *           dom_call completion, the destroyer's wake-up), or none
 *   vcpu    the vCPUs, as one process: pop the green thread, switch to it
 *   check   at quiescence (spin's timeout), the end-state properties
 *
 * Properties (assertions; pan also reports invalid end states):
 *   - one claimer per wait: claims[w] <= 1, and == 1 when a waiter
 *     returns from a wait it blocked in;
 *   - a claimer never touches a waiter that has gone out of scope;
 *   - the green thread is pushed to the run queue at most once per wait,
 *     never while its stack is in use, and runs again exactly once (after
 *     one push, or through the switch_out shortcut);
 *   - no lost wake-up: at quiescence no waiter is blocked after being
 *     claimed, and none is blocked while a unit is available;
 *   - units are conserved: posted == taken + count.
 *
 * Bugs, to show that the check can fail (spin -DBUG -a waitq.pml):
 *   BUG          after_switch stores BLOCKED instead of CAS BLOCKING->BLOCKED
 *   BUG_HOSTBIT  a host wait ends on any notification bit, not on w->done
 *
 * Granularity: a section under q->lock or the timer lock is one atomic
 * step (no lock variable).  That is sound: everything such a section
 * touches is either protected by that lock or is a claim flag, which only
 * goes 0 -> 1 during a wait, so each section is equivalent to running at
 * the point of its last claim attempt.  Everything outside the locks (the
 * state exchange, the epilogue's load and CAS, each step of the
 * notification) is its own step.
 */

#ifndef GREEN
#define GREEN 1		/* 0: leave the green thread out */
#endif
#ifndef HROUNDS
#define HROUNDS 1	/* waits the host thread makes (0: no host thread) */
#endif
#ifndef NWAKE
#define NWAKE 1		/* posts */
#endif

/* enum dom_state (dom_impl.h) */
#define TS_RUNNING  0
#define TS_RUNNABLE 1
#define TS_BLOCKING 2
#define TS_BLOCKED  3

#define G 0		/* the green waiter */
#define H 1		/* the host waiter */

#define OK       0
#define TIMEDOUT 1	/* -ETIMEDOUT */

/* ---- the semaphore: under q->lock ---- */
byte count;		/* s->count */

/* struct dom_waiter of each thread's current wait */
bit  linked[2];		/* in q's list: link_tail / unlink_w (q->lock) */
bit  claimed[2];	/* w->claimed */
bit  wdone[2];		/* w->done (host) */
bit  result[2];		/* w->result */
byte live[2];		/* which wait's dom_waiter is on the stack (0: none) */
byte claims[2];		/* successful claims of the current wait */
bit  waiting[2];	/* between prepare and return */

/* the green thread (struct dom_thread) */
byte gstate = TS_RUNNING;	/* t->state */
bit  on_cpu = 1;		/* its stack is in use (until dom_arch_switch) */
bit  gwait;			/* t->wait != NULL */
bit  inheap;			/* t->heap_idx != 0 (timer lock) */
byte inrunq;			/* copies of it in the run queue */
byte pushes;			/* run-queue pushes during this wait */

/* the host thread's notification (rec->ntf, src/mk/linux/notification.c) */
byte word, waiters, seq;

/* units */
byte posted, taken;

/* claim(w): CAS w->claimed 0 -> 1 */
inline claim(w, ok)
{
	atomic {
		if
		:: claimed[w] == 0 ->
			claimed[w] = 1; claims[w]++; ok = 1;
			assert(claims[w] == 1)		/* one claimer */
		:: else -> ok = 0
		fi
	}
}

/* mk_notification_signal(&h->ntf, b) */
inline ntf_signal(b)
{
	if
	:: atomic { (word & b) == b }		/* fetch_or: already pending, */
						/* its signaller wakes: return */
	:: atomic { (word & b) != b -> word = word | b };
		if
		:: waiters != 0 -> seq++	/* seq++, futex_wake */
		:: else
		fi
	fi
}

/* enqueue() of the green thread */
inline push_green()
{
	atomic {
		assert(on_cpu == 0);	/* its stack is free: switched out */
		inrunq++; pushes++;
		assert(inrunq == 1 && pushes == 1)
	}
}

/* dom_waiter_wake(w) by the claimer of wait r of w's thread */
inline wake(w, r, old)
{
	if
	:: w == G ->
		/* dom_sched_wake: exchange the state to RUNNABLE */
		atomic {
			old = gstate; gstate = TS_RUNNABLE;
			assert(old == TS_BLOCKING || old == TS_BLOCKED)
		};
		if
		:: old == TS_BLOCKED -> old = 0; push_green()
		:: else -> old = 0	/* BLOCKING: the switch epilogue queues it */
		fi
	:: else ->
		atomic {
			assert(live[H] == r);	/* w is still on the host's stack */
			wdone[H] = 1		/* store-release */
		};
		/* from here on the host may return and w be gone */
		ntf_signal(1)
	fi
}

/* ------------------------------------------------------------------ */
/* A poster: dom_sem_post */
active [NWAKE] proctype waker()
{
	byte w, r, old;
	bit ok, found;

	/* under q->lock: dom_waitq_claim_first walks the list and skips a
	 * waiter claimed (by the timer, or by the host itself) but not yet
	 * unlinked.  The list order is left to spin: both are explored. */
	atomic {
		if
		:: w = G
		:: w = H
		fi;
		if
		:: linked[w] -> claim(w, ok)
		:: else -> ok = 0
		fi;
		if
		:: !ok ->
			w = 1 - w;
			if
			:: linked[w] -> claim(w, ok)
			:: else
			fi
		:: else
		fi;
		if
		:: ok ->
			assert(live[w] != 0);
			linked[w] = 0;			/* unlink_w */
			result[w] = OK;			/* the unit is handed over */
			r = live[w]
		:: else ->
			count++
		fi;
		posted++;
		found = ok
	};
	if
	:: found -> wake(w, r, old)
	:: else
	fi;
	atomic { w = 0; r = 0; ok = 0; found = 0 }	/* dead */
}

#if GREEN
/* ------------------------------------------------------------------ */
/* The green thread: take(s, true, deadline), one wait */
active proctype green()
{
	byte st;
	bit ok, shortcut;

	atomic {	/* under q->lock */
		if
		:: count > 0 -> count--; taken++; goto gdone
		:: else
		fi;
		/* dom_waitq_prepare */
		live[G] = 1; claimed[G] = 0; claims[G] = 0; result[G] = OK;
		linked[G] = 1;
		gwait = 1;			/* self->wait = w */
		waiting[G] = 1;
		gstate = TS_BLOCKING
	};

	/* dom_waitq_commit: a timed wait.  An untimed one is the same as a
	 * timed one whose timer never fires, which the timer may choose. */
	inheap = 1;			/* dom_timer_arm (timer lock) */

	/* dom_sched_switch_out: pick() found another thread: switch to it;
	 * or nothing: CAS RUNNABLE -> RUNNING and go on if already woken,
	 * else switch to the idle context. */
	if
	:: skip
	:: atomic {
		if
		:: gstate == TS_RUNNABLE -> gstate = TS_RUNNING; shortcut = 1
		:: else
		fi
	   }
	fi;
	if
	:: shortcut -> goto resumed
	:: else
	fi;
	on_cpu = 0;			/* dom_arch_switch saved the stack */

	/* after_switch(prev), on the next context */
	st = gstate;
	if
	:: st == TS_BLOCKING ->
#ifdef BUG
		gstate = TS_BLOCKED;	/* plain store: may overwrite a wake */
		goto switched
#else
		atomic {
			if
			:: gstate == TS_BLOCKING -> gstate = TS_BLOCKED; ok = 1
			:: else -> st = gstate; ok = 0	/* a failed CAS updates st */
			fi
		};
		if
		:: ok -> goto switched	/* a waker will queue it */
		:: else
		fi
#endif
	:: else
	fi;
	assert(st == TS_RUNNABLE);
	push_green();			/* woken before now: enqueue(prev) */
switched:
	/* Switched out: runs again when a vCPU pops it. */
end_blocked:
	on_cpu == 1;
resumed:
	atomic {
		assert(pushes + shortcut == 1);	/* it ran again exactly once */
		assert(gstate == TS_RUNNING)
	};
	inheap = 0;			/* dom_timer_cancel (timer lock) */
	atomic {
		gwait = 0;
		assert(claims[G] == 1);		/* returns only after being claimed */
		assert(linked[G] == 0);		/* and unlinked */
		if
		:: result[G] == OK -> taken++
		:: else
		fi;
		live[G] = 0; waiting[G] = 0	/* w goes out of scope */
	};
gdone:
	skip
}

/* dom_timer_run firing the green thread's deadline, then
 * dom_waiter_finish_timeout.  May never fire. */
active proctype timer()
{
	byte r, old;
	bit ok, fired;

	if
	:: skip
	:: goto tdone
	fi;
	atomic {	/* under the timer lock */
		if
		:: inheap ->
			inheap = 0;			/* heap_remove */
			if
			:: gwait -> claim(G, ok)	/* dom_waiter_claim_timeout */
			:: else -> ok = 0
			fi;
			if
			:: ok -> assert(inrunq == 0); fired = 1	/* t->rq_next is free */
			:: else
			fi
		:: else
		fi
	};
	if
	:: fired ->
		atomic {	/* unlink_claimed, under q->lock */
			r = live[G];
			assert(r != 0);
			linked[G] = 0
		};
		assert(live[G] == r);
		result[G] = TIMEDOUT;
		wake(G, r, old)
	:: else
	fi;
tdone:
	atomic { r = 0; ok = 0; fired = 0 }	/* dead */
}

/* The vCPUs: pop the green thread and switch to it. */
active proctype vcpu()
{
end:
	do
	:: atomic { inrunq > 0 -> inrunq-- };
		atomic {
			assert(on_cpu == 0);
			gstate = TS_RUNNING	/* switch_to */
		};
		on_cpu = 1
	od
}
#endif /* GREEN */

#if HROUNDS > 0
/* mk_notification_wait_until on the host's notification: r = OK (a bit)
 * or TIMEDOUT.  futex_wait(&seq, s) returns once seq != s, or on timeout
 * (at any time) if the wait is timed; no spurious wake-ups. */
inline ntf_wait(timed, r, b, s)
{
	do
	:: word != 0 ->				/* relaxed load, then exchange */
		atomic {
			b = word; word = 0;
			if
			:: b != 0 -> b = 0; r = OK; break
			:: else
			fi
		}
	:: else ->
		s = seq;
		waiters++;
		atomic { b = word; word = 0 };
		if
		:: b != 0 -> atomic { waiters--; b = 0; s = 0; r = OK }; break
		:: else
		fi;
end_futex:
		if
		:: atomic { seq != s -> r = OK; s = 0 }
		:: atomic { timed -> r = TIMEDOUT; s = 0 }
		fi;
		waiters--;
		if
		:: r == TIMEDOUT ->
			atomic {	/* a signal raced the timeout */
				b = word; word = 0;
				if
				:: b != 0 -> r = OK
				:: else
				fi;
				b = 0
			};
			break
		:: else
		fi
	od
}

/* The host thread: HROUNDS of take(s, true, deadline) */
active proctype host()
{
	byte rnd = 1, b, s;
	bit timed, ok, r;

	do
	:: rnd > HROUNDS -> break
	:: else ->
		atomic {	/* under q->lock */
			if
			:: count > 0 -> count--; taken++; goto next
			:: else
			fi;
			/* dom_waitq_prepare */
			live[H] = rnd; claimed[H] = 0; claims[H] = 0; wdone[H] = 0;
			result[H] = OK;
			linked[H] = 1;
			waiting[H] = 1
		};
		/* dom_waitq_commit, host part */
		if
		:: timed = 1
		:: timed = 0
		fi;
		do
		:: ntf_wait(timed, r, b, s);
			if
			:: r == OK ->
#ifdef BUG_HOSTBIT
				break			/* any bit ends the wait */
#else
				if
				:: wdone[H] -> break	/* load-acquire */
				:: else			/* a stray bit */
				fi
#endif
			:: else ->
				claim(H, ok);
				if
				:: ok ->
					linked[H] = 0;	/* unlink_claimed (q->lock) */
					result[H] = TIMEDOUT;
					break
				:: else -> timed = 0	/* claimed meanwhile: its signal comes */
				fi
			fi
		od;
		atomic {
			assert(claims[H] == 1);		/* returns only after being claimed */
			assert(linked[H] == 0);
			if
			:: result[H] == OK -> taken++
			:: else
			fi;
			live[H] = 0; waiting[H] = 0	/* w goes out of scope */
		};
next:
		rnd++
	od
}

/* Another protocol's signal of the host's notification: a stray bit. */
active proctype stray()
{
	if
	:: ntf_signal(2)
	:: skip
	fi
}
#endif /* HROUNDS > 0 */

/* At quiescence (no process can move): end-state properties. */
active proctype check()
{
	timeout ->
	/* no lost wake-up: a claimed waiter is not left blocked */
	assert(!(waiting[G] && claims[G] > 0));
	assert(!(waiting[H] && claims[H] > 0));
	/* a waiter left blocked is queued, and no unit is left for it */
	assert(!waiting[G] || (linked[G] && count == 0));
	assert(!waiting[H] || (linked[H] && count == 0));
	/* the green thread is not left in the run queue */
	assert(inrunq == 0);
	/* every unit posted was taken or is still counted */
	assert(posted == NWAKE && posted == taken + count)
}
