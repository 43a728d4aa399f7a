/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * endpoint.pml: the call / reply hand-off of src/mk/linux/endpoint.c with
 * MK_SPIN polling, checked with spin.  docs/mk.md describes the protocol;
 * tests/model/CMakeLists.txt runs this model.
 *
 * NC callers make K calls each on one endpoint served by one server:
 *
 *   caller   lock; slot = QUEUED; enqueue; wake = srv_waiters > 0;
 *            if (wake) srv_seq++; unlock; if (wake) futex_wake(srv_seq)
 *            poll: read the slot until REPLIED, or give up (any time)
 *            loop: st = slot; REPLIED -> done;
 *                  no SLEEPING: CAS(slot, st, st | SLEEPING), retry on failure;
 *                  futex_wait(slot, st | SLEEPING); loop
 *            lock; slot = FREE; unlock
 *   server   poll: read head until a call is queued, or give up (any time)
 *            lock; while (queue empty) { seq = srv_seq; srv_waiters++; unlock;
 *                  futex_wait(srv_seq, seq); lock; srv_waiters-- }
 *            dequeue; slot += SERVING - QUEUED (keeps SLEEPING); unlock
 *            reply: old = xchg(slot, REPLIED); if (old & SLEEPING) futex_wake(slot)
 *
 * A poll only reads, and may stop at any moment (the time bound, the
 * adaptive skip and the same-CPU skip are all "give up" here), so every
 * bound and every policy of spin() is covered.  The lock's sections are
 * atomic.  The atomics are sequentially consistent in the code except the
 * poll's relaxed read of head (a hint: whatever it reads, the call is
 * taken under the lock; here the poll reads the current value, and giving
 * up covers a stale read) and the acquire read of the slot (then re-read
 * seq_cst).  A futex wait blocks only if the word still holds the value it
 * was given, atomically; a wake releases the one waiter of that word.
 *
 * Properties, at quiescence (spin's timeout: nothing can move): every
 * call was answered (each caller finished its K calls), no caller sleeps,
 * and the server is asleep with no call queued.
 *
 * Bugs, to show that the check fails (spin -DBUG_... -a endpoint.pml):
 *   BUG_STALE_SEQ      a server that gave up polling counts itself a
 *                      waiter and sleeps on a srv_seq read before its poll,
 *                      without the lock and without re-checking the queue
 *   BUG_STORE_SLEEPING a caller that gave up polling stores SLEEPING
 *                      instead of its compare-and-swap
 */

#ifndef NC
#define NC 2
#endif
#ifndef K
#define K 2
#endif

#define FREE 0
#define QUEUED 1
#define SERVING 2
#define REPLIED 3
#define STATE 3
#define SLEEPING 4

byte slot[NC];		/* each caller's slot state word */
bit csleep[NC];		/* caller blocked in its futex wait */
chan queue = [NC] of { byte };
byte srv_seq;
byte srv_waiters;
bit ssleep;		/* the server blocked in its futex wait */
byte answered;		/* replies received, all callers */

proctype caller(byte c)
{
	byte k = 0, st;
	bit wake;

	do
	:: k == K -> break
	:: else ->
		atomic {
			slot[c] = QUEUED;
			queue!c;
			wake = srv_waiters > 0;
			if
			:: wake -> srv_seq++
			:: else
			fi
		}
		if
		:: wake -> ssleep = 0
		:: else
		fi;
		/* poll: any number of reads, then give up or see the reply */
		do
		:: (slot[c] & STATE) == REPLIED -> goto got
		:: break
		od;
loop:		st = slot[c];
		if
		:: (st & STATE) == REPLIED -> goto got
		:: else
		fi;
		if
		:: !(st & SLEEPING) ->
#ifdef BUG_STORE_SLEEPING
			slot[c] = st | SLEEPING;
#else
			atomic {
				if
				:: slot[c] == st -> slot[c] = st | SLEEPING
				:: else -> goto loop
				fi
			}
#endif
			st = st | SLEEPING
		:: else
		fi;
		atomic {
			if
			:: slot[c] == st -> csleep[c] = 1
			:: else
			fi
		}
		(csleep[c] == 0);
		goto loop;
got:		atomic { slot[c] = FREE; answered++ };
		k++
	od
}

active proctype server()
{
	byte c, seq, old;

	do
	:: /* poll for a call: any number of reads, then give up */
#ifdef BUG_STALE_SEQ
		seq = srv_seq;
#endif
		do
		:: nempty(queue) -> break
		:: break
		od;
#ifdef BUG_STALE_SEQ
		if
		:: empty(queue) ->
			srv_waiters++;
			atomic {
				if
				:: srv_seq == seq -> ssleep = 1
				:: else
				fi
			}
end_stale:		(ssleep == 0);
			srv_waiters--
		:: else
		fi;
#endif
recv:		atomic {
			if
			:: nempty(queue) -> queue?c; slot[c] = slot[c] + SERVING - QUEUED; goto serve
			:: else -> seq = srv_seq; srv_waiters++
			fi
		}
		atomic {
			if
			:: srv_seq == seq -> ssleep = 1
			:: else
			fi
		}
end_wait:	(ssleep == 0);
		atomic { srv_waiters-- };
		goto recv;
serve:		atomic { old = slot[c]; slot[c] = REPLIED };
		if
		:: old & SLEEPING -> csleep[c] = 0
		:: else
		fi
	od
}

init {
	byte i = 0;

	atomic {
		do
		:: i == NC -> break
		:: else -> run caller(i); i++
		od
	}
}

/* At quiescence every process is blocked (or done). */
active proctype check()
{
	atomic {
		timeout ->
		assert(answered == NC * K);
		assert(empty(queue));
		assert(ssleep == 1)
	}
}
