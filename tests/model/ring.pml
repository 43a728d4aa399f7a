/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * ring.pml: the signal suppression protocol of src/comp/ring.c (the sDDF
 * protocol), checked with spin.  docs/rings.md describes the protocol;
 * tests/model/CMakeLists.txt runs this model.
 *
 * One queue (the active queue) of capacity CAP, a producer that puts N
 * descriptors on it and a consumer that takes them, each side sleeping on
 * its own notification when it cannot go on:
 *
 *   producer   enqueue: tail++; [DEFER or] notify
 *              notify:  fence; if (consumer_wants && xchg(consumer_wants, 0)) signal(consumer)
 *              full:    notify; producer_wants = 1; fence;
 *                       if (still full) sleep; producer_wants = 0; retry
 *   consumer   dequeue: head++; [DEFER or] notify
 *              notify:  fence; if (producer_wants && xchg(producer_wants, 0)) signal(producer)
 *              empty:   notify; consumer_wants = 1; fence;
 *                       if (still empty) sleep; consumer_wants = 0; retry
 *              (an arm that finds the condition gone withdraws its flag)
 *
 * Either side may defer the signal of any transfer (COMP_RING_DEFER, a
 * batch); what is deferred is sent before the side sleeps (want() calls
 * do_notify first) and at the producer's end.  The notifications are
 * sequentially consistent (modelled in waitq.pml): signal sets a bit,
 * sleep waits for it and clears it.
 *
 * Memory: by default sequentially consistent.  With -DTSO each side's
 * plain stores go to a store buffer (one pending store per variable,
 * flushed in any order by the `memory` process: weaker than x86-TSO and
 * AArch64 release stores for these accesses, so a pass covers both); a
 * load sees the side's own pending store first; a fence or an xchg
 * (locked, a full barrier) flushes the side's buffer.
 *
 * Properties, checked at quiescence (spin's timeout: nothing can move):
 *   - no lost wake-up: the consumer is not asleep while the queue is not
 *     empty and no signal is pending for it, and the producer is not
 *     asleep while the queue has room and no signal is pending for it;
 *   - every descriptor was delivered: the producer finished and the
 *     consumer took all N.
 * pan also reports invalid end states (the producer stuck before its end).
 *
 * Bugs, to show that the check fails (spin -DBUG_... -a ring.pml):
 *   BUG_NORECHECK        the consumer sleeps without re-checking the queue
 *                        after setting its flag
 *   BUG_SPACE_NORECHECK  the same for the producer waiting for space
 *   BUG_NOFENCE          no fence between the index store and the flag
 *                        load, nor between the flag store and the index
 *                        load (fails with -DTSO only: store buffering)
 *   BUG_NOFLUSH          a side sleeps without first sending the signal
 *                        it deferred
 */

#ifndef CAP
#define CAP 2
#endif
#ifndef N
#define N 3
#endif

#define P 0 /* the producer */
#define C 1 /* the consumer */

/* shared variables */
#define TAIL 0
#define HEAD 1
#define CWANT 2 /* consumer_wants */
#define PWANT 3 /* producer_wants */
#define NV 4

byte mem[NV];

bit csig, psig;	/* pending bit of each side's notification */
bit csleep, psleep;	/* the side is blocked in its wait */
bit pdone;

#ifdef TSO
bit pend[2 * NV];	/* side s has a pending store to v: pend[s * NV + v] */
byte pval[2 * NV];

inline commit(k) {
	mem[(k) % NV] = pval[k];
	pend[k] = 0
}
inline STORE(s, v, x) {
	atomic {
		if
		:: pend[s * NV + v] -> commit(s * NV + v)
		:: else
		fi;
		pend[s * NV + v] = 1;
		pval[s * NV + v] = x
	}
}
inline LOAD(s, v, dst) {
	atomic {
		if
		:: pend[s * NV + v] -> dst = pval[s * NV + v]
		:: else -> dst = mem[v]
		fi
	}
}
inline FLUSH(s) {
	atomic {
		if :: pend[s * NV + 0] -> commit(s * NV + 0) :: else fi;
		if :: pend[s * NV + 1] -> commit(s * NV + 1) :: else fi;
		if :: pend[s * NV + 2] -> commit(s * NV + 2) :: else fi;
		if :: pend[s * NV + 3] -> commit(s * NV + 3) :: else fi
	}
}
/* The store buffers drain at any time, in any order. */
active proctype memory() {
end:	do
	:: atomic { pend[0] -> commit(0) }
	:: atomic { pend[1] -> commit(1) }
	:: atomic { pend[2] -> commit(2) }
	:: atomic { pend[3] -> commit(3) }
	:: atomic { pend[4] -> commit(4) }
	:: atomic { pend[5] -> commit(5) }
	:: atomic { pend[6] -> commit(6) }
	:: atomic { pend[7] -> commit(7) }
	od
}
#else
inline STORE(s, v, x) { mem[v] = x }
inline LOAD(s, v, dst) { dst = mem[v] }
inline FLUSH(s) { skip }
#endif

#ifdef BUG_NOFENCE
#define FENCE(s) skip
#else
#define FENCE(s) FLUSH(s)
#endif

/* xchg(flag, 0): a locked instruction, a full barrier. */
inline XCHG0(s, v, old) {
	FLUSH(s);
	atomic { old = mem[v]; mem[v] = 0 }
}

/* do_notify: the index store was made; tell the peer if it asked. */
inline NOTIFY(s, flag, sig) {
	FENCE(s);
	LOAD(s, flag, f);
	if
	:: f ->
		XCHG0(s, flag, old);
		if
		:: old -> sig = 1
		:: else
		fi
	:: else
	fi
}

active proctype producer() {
	byte tail = 0, h, f, old;
	bit dirty = 0;

	do
	:: tail == N -> break
	:: else ->
again:		LOAD(P, HEAD, h);
		if
		:: tail - h < CAP ->
			tail++;
			STORE(P, TAIL, tail);
progress_p:		dirty = 1;
			if
			:: NOTIFY(P, CWANT, csig); dirty = 0
			:: skip /* COMP_RING_DEFER: signal later */
			fi
		:: else ->
			/* want_space: first what was deferred */
#ifndef BUG_NOFLUSH
			if
			:: dirty -> NOTIFY(P, CWANT, csig); dirty = 0
			:: else
			fi;
#endif
			STORE(P, PWANT, 1);
			FENCE(P);
#ifndef BUG_SPACE_NORECHECK
			LOAD(P, HEAD, h);
			if
			:: tail - h < CAP -> STORE(P, PWANT, 0); goto again
			:: else
			fi;
#endif
			psleep = 1;
			atomic { psig -> psig = 0; psleep = 0 };
			STORE(P, PWANT, 0);
			goto again
		fi
	od;
	if
	:: dirty -> NOTIFY(P, CWANT, csig)
	:: else
	fi;
	FLUSH(P);
	pdone = 1
}

active proctype consumer() {
	byte head = 0, t, f, old;
	bit dirty = 0;

	do
	:: LOAD(C, TAIL, t);
		if
		:: t != head ->
			head++;
			STORE(C, HEAD, head);
progress_c:		dirty = 1;
			if
			:: NOTIFY(C, PWANT, psig); dirty = 0
			:: skip
			fi
		:: else ->
#ifndef BUG_NOFLUSH
			if
			:: dirty -> NOTIFY(C, PWANT, psig); dirty = 0
			:: else
			fi;
#endif
			STORE(C, CWANT, 1);
			FENCE(C);
#ifndef BUG_NORECHECK
			LOAD(C, TAIL, t);
			if
			:: t != head -> STORE(C, CWANT, 0); goto next
			:: else
			fi;
#endif
			csleep = 1;
end_sleep:		atomic { csig -> csig = 0; csleep = 0 };
			STORE(C, CWANT, 0);
next:			skip
		fi
	od
}

/* At quiescence every process is blocked (or done) and every store
 * buffer is empty: then nobody may be asleep for nothing. */
active proctype check() {
	atomic {
		timeout ->
		assert(!(csleep && mem[TAIL] != mem[HEAD] && !csig));
		assert(!(psleep && mem[TAIL] - mem[HEAD] < CAP && !psig));
		assert(pdone && mem[HEAD] == N)
	}
}
