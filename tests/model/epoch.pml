/* SPDX-License-Identifier: MIT */
/*
 * tests/model/epoch.pml — SPIN model of tern's three-bin epoch reclamation
 * (src/epoch/epoch.c), at the level of shared-memory steps under
 * sequentially consistent interleaving.  README.md beside this file says
 * what is proved, how, and why the finite abstraction of the epoch counter
 * is sound.
 *
 * Processes
 *   Reader(i), i < NR  forever: pin (load G; store state), load P, use it,
 *                      unpin (store state = inactive)
 *   Writer             forever: [pin], swap a fresh object into P, defer
 *                      the old one to its open bag, [collect], [unpin];
 *                      seal the open bag now or after more swaps (load G ->
 *                      t, move the bag to bin[t mod 3], destroying that
 *                      bin's older content first); collect (try_advance,
 *                      then reclaim the due bins)
 *   Collector          forever: try_advance (a third thread moving G, so
 *                      that G can change while the writer is mid-protocol)
 *
 * Switches (spin -D...):
 *   MUT_T1        mutant: a bin is due at t + 1 <= G instead of t + 2 <= G
 *   MUT_LOCALTAG  mutant: the bag's tag is the writer's own pinned epoch,
 *                 taken at defer time, instead of G loaded at seal time
 *   MUT_EQDUE     mutant (liveness): a bin is due only when t + 2 == G
 *   NR            readers (default 2)
 *   NOBJ          object ids 1..NOBJ (default 3: one published, two in flight)
 *   NO_COLLECTOR  no dedicated collector (the writer still collects)
 *   ATOMIC_PIN    experiment: pin's load of G and store of state in one step
 *   NO_GHOST      for the liveness runs: without the safety ghost `held`
 *                 and the reader's load of P, which only feeds it.  Nothing
 *                 else reads them, so the liveness verdict is the same and
 *                 the search is about 3 times smaller.
 *
 * ---- Epoch values: a finite representation -----------------------------
 *
 * G is an unbounded counter.  Every epoch value the protocol stores is kept
 * as its AGE, G - value; an advance adds one to every live age, and dead
 * values are NONE (they never change, so states stay canonical).  What the
 * protocol asks of the values decides how much of an age is kept:
 *
 *  - A record's epoch and a pin's load of G are only ever compared with a
 *    collector's g, and that comparison only matters while g == G (age 0):
 *    otherwise the CAS fails whatever the scan found.  So these ages are
 *    kept as 0 (== G) or 1 (older), and a collector whose g is already
 *    stale stops its scan at the first active record — the concrete scan
 *    might read on, but it has no effect on shared state, so this only
 *    removes stuttering steps.
 *  - A bin's tag t is asked: is t + 2 <= G (age >= 2)?  which bin, t mod 3?
 *    and, when a bag is sealed into the same bin, is t equal to the new tag?
 *    Ages 0, 1, 2 are kept exactly; an age that would reach 6 wraps to 3,
 *    so 3..5 mean "at least 3, with this residue mod 3".  The bin of a tag
 *    is its age's residue mod 3 (G's own residue is a rotation common to
 *    all bins, so it is left out).  Every question is answered exactly,
 *    except "equal?" when both ages are >= 3 (only possible for the
 *    MUT_LOCALTAG tag); there the model takes both answers.
 *
 * The model thus has every behaviour of the protocol with an unbounded G
 * (and, under MUT_LOCALTAG, a few more), so properties proved here hold
 * for the unbounded counter.  No bound on the number of advances is needed.
 */

#ifndef NR
#define NR 2
#endif
#ifndef NOBJ
#define NOBJ 3
#endif

#define W     NR            /* the writer's record index */
#define NREC  (NR + 1)      /* readers' records and the writer's */
#define NONE  255           /* no value / inactive record / no bin */

/*
 * Where an object is.  loc[o] = BIN + a: in the bin whose tag has age a
 * (objects of equal a are in the same bin; the bin index is a mod 3).  The
 * writer's private states (allocated but not published; swapped out but not
 * yet in the bag) are folded into the swap step: they are thread-local.
 */
#define FREE  0             /* destroyed (or never allocated): may be reused */
#define LIVE  1             /* published in P */
#define OPEN  2             /* deferred, in the writer's open (untagged) bag */
#define BIN   3             /* BIN + tag age, 0..5 */

#define INBIN(o)   (loc[o] >= BIN)
#define TAGAGE(o)  (loc[o] - BIN)

#ifdef MUT_T1
#define DUE(a)  ((a) >= 1)          /* mutant: t + 1 <= G */
#elif defined(MUT_EQDUE)
#define DUE(a)  ((a) == 2)          /* mutant: t + 2 == G */
#else
#define DUE(a)  ((a) >= 2)          /* t + 2 <= G */
#endif

/* Ageing by one advance (see above). */
#define AGE_SHORT(a)  a = ((a) == NONE -> NONE : 1)
#define AGE_LONG(a)   a = ((a) == NONE -> NONE : ((a) < 5 -> (a) + 1 : 3))
#ifdef MUT_LOCALTAG
#define AGE_W(a)      AGE_LONG(a)   /* the writer's epoch becomes a tag */
#else
#define AGE_W(a)      AGE_SHORT(a)
#endif

byte rec[NREC];             /* record state: NONE = inactive, else its epoch's age */
byte snap[NREC];            /* a pin's load of G, not yet stored (NONE = none) */
byte cg[2];                 /* collectors' g: [0] the writer, [1] Collector */
byte bagAge = NONE;         /* MUT_LOCALTAG only: the open bag's tag */
byte P = 1;                 /* the shared pointer: an object id */
byte loc[NOBJ + 1];         /* loc[0] unused */
byte held[NR];              /* ghost: the object a pinned reader loaded, 0 = none */
byte k;                     /* scratch loop counter, reset to 0 after each use */

/* Some object is FREE (can be allocated); the open bag is not empty. */
#if NOBJ == 2
#define CAN_ALLOC     (loc[1] == FREE || loc[2] == FREE)
#define BAG_NONEMPTY  (loc[1] == OPEN || loc[2] == OPEN)
#elif NOBJ == 3
#define CAN_ALLOC     (loc[1] == FREE || loc[2] == FREE || loc[3] == FREE)
#define BAG_NONEMPTY  (loc[1] == OPEN || loc[2] == OPEN || loc[3] == OPEN)
#elif NOBJ == 4
#define CAN_ALLOC     (loc[1] == FREE || loc[2] == FREE || loc[3] == FREE || loc[4] == FREE)
#define BAG_NONEMPTY  (loc[1] == OPEN || loc[2] == OPEN || loc[3] == OPEN || loc[4] == OPEN)
#else
#error "NOBJ must be 2, 3 or 4"
#endif

/*
 * destroy(o): the destructor runs.  SAFETY (1): no reader that loaded o is
 * still pinned.  (The reader's use step checks the same from its side.)
 */
inline destroy(o) {
	for (k : 0 .. NR - 1) {
		assert(held[k] != o)             /* SAFETY (1): o is not in use */
	}
	k = 0;
	loc[o] = FREE
}

/* A successful CAS of G from g to g + 1: every live stored value ages. */
inline advance() {
	for (k : 0 .. NR - 1) {
		AGE_SHORT(rec[k]);
		AGE_SHORT(snap[k])
	}
	k = 0;
	AGE_W(rec[W]); AGE_W(snap[W]);
	AGE_SHORT(cg[0]); AGE_SHORT(cg[1]);
	for (k : 1 .. NOBJ) {
		if
		:: INBIN(k) -> loc[k] = (loc[k] < BIN + 5 -> loc[k] + 1 : BIN + 3)
		:: else -> skip
		fi
	}
	k = 0;
	AGE_LONG(bagAge)
}

/*
 * try_advance by collector c (locals i, ok of the caller): g = load G; load
 * each record's state, failing at the first active one whose epoch != g;
 * then CAS(G, g, g + 1), which succeeds iff G is still g (g's age is 0).
 */
inline try_advance(c) {
	cg[c] = 0;                                   /* g = load G */
	i = 0; ok = true;
	do
	:: d_step {                                  /* load record i's state */
		i < NREC && ok;
		ok = (rec[i] == NONE || (cg[c] == 0 && rec[i] == 0));
		i = (ok -> i + 1 : i)
	   }
	:: else -> break
	od;
	atomic {                                     /* CAS(G, g, g + 1) */
		if
		:: ok && cg[c] == 0 -> advance() /* success: G = g + 1 */
		:: else -> skip
		fi;
		cg[c] = NONE; i = 0; ok = false
	}
}

/*
 * reclaim: load G, destroy every bin whose tag t has t + 2 <= G.  The frees
 * are thread-local work folded into the load (README, "Reductions").
 */
inline reclaim() {
	d_step {                                     /* reclaim: load G, destroy due bins */
		for (j : 1 .. NOBJ) {
			if
			:: INBIN(j) && DUE(TAGAGE(j)) -> destroy(j) /* due: destroy */
			:: else -> skip
			fi
		}
		j = 0
	}
}

/*
 * seal: t = load G; move the open bag to bin[t mod 3]; if that bin holds an
 * older tag, destroy its content first.  That content must be due with room
 * to spare (its tag is >= 3 behind): asserted.  MUT_LOCALTAG: t is the tag
 * stored at defer time instead of a fresh load of G.
 */
inline seal() {
	atomic {
		if
		:: BAG_NONEMPTY ->
#ifdef MUT_LOCALTAG
			t = bagAge;
#else
			t = 0;                       /* t = load G: age 0 */
#endif
			/* b = the tag age of bin[t mod 3], NONE if it is empty */
			b = NONE;
			for (j : 1 .. NOBJ) {
				if
				:: INBIN(j) && TAGAGE(j) % 3 == t % 3 -> b = TAGAGE(j)
				:: else -> skip
				fi
			}
			if
			:: b != NONE ->
				/* ok = (the bin's tag == t): exact unless both ages >= 3 */
				if
				:: b < 3 || t < 3 -> ok = (b == t)
				:: else -> if :: ok = true :: ok = false fi
				fi;
				if
				:: !ok ->
					assert(b >= 3);  /* older, hence due */
					for (j : 1 .. NOBJ) {
						if
						:: loc[j] == BIN + b -> destroy(j) /* older: destroy */
						:: else -> skip
						fi
					}
				:: else -> skip
				fi
			:: else -> skip
			fi;
			for (j : 1 .. NOBJ) {
				if
				:: loc[j] == OPEN -> loc[j] = BIN + t /* bag -> bin[t mod 3] */
				:: else -> skip
				fi
			}
			bagAge = NONE
		:: else -> skip
		fi;
		t = 0; b = 0; j = 0; ok = false
	}
}

/*
 * pin: e = load G; store state = (e, active).  Two steps: a thread can be
 * preempted between them and announce an epoch G has already left (the
 * stale-announcement race).  ATOMIC_PIN (experiment only) makes it one.
 */
#ifdef ATOMIC_PIN
inline pin(r) {
	rec[r] = 0                                   /* pin in one step (experiment) */
}
#else
inline pin(r) {
	snap[r] = 0;                                 /* pin: e = load G */
	d_step { rec[r] = snap[r]; snap[r] = NONE }  /* pin: store state = (e, active) */
}
#endif

proctype Reader(byte me)
{
	do
	:: pin(me);
#ifndef NO_GHOST
	   held[me] = P;                                    /* o = load P */
#endif
	   d_step {                                         /* use o; unpin: store state = 0 */
#ifndef NO_GHOST
		assert(loc[held[me]] != FREE);              /* SAFETY (1), reader side */
		held[me] = 0;
#endif
		rec[me] = NONE
	   }
	od
}

/*
 * epoch__collect()'s advance: attempted when some of the writer's own garbage is
 * not yet due (own_garbage_waiting() in epoch.c), and optional otherwise.
 * (A trylock that fails because another thread is advancing is the same as
 * an attempt whose loads interleave with that thread's and whose CAS fails.)
 */
#if NOBJ == 2
#define OWN_WAITING  ((INBIN(1) && !DUE(TAGAGE(1))) || (INBIN(2) && !DUE(TAGAGE(2))))
#elif NOBJ == 3
#define OWN_WAITING  ((INBIN(1) && !DUE(TAGAGE(1))) || (INBIN(2) && !DUE(TAGAGE(2))) || \
		      (INBIN(3) && !DUE(TAGAGE(3))))
#else
#define OWN_WAITING  ((INBIN(1) && !DUE(TAGAGE(1))) || (INBIN(2) && !DUE(TAGAGE(2))) || \
		      (INBIN(3) && !DUE(TAGAGE(3))) || (INBIN(4) && !DUE(TAGAGE(4))))
#endif
inline advance_attempt() {
	if
	:: try_advance(0)
	:: !OWN_WAITING
	fi
}

proctype Writer()
{
	byte i, j, b, t;
	bool ok;

	do
	:: /* An update: tern_cell_store(), pinned or not (it needs no pin). */
	   if
	   :: CAN_ALLOC ->
		if
		:: pin(W)
#ifndef MUT_LOCALTAG
		:: skip     /* the mutant's tag needs a pinned epoch */
#endif
		fi;
		d_step {            /* n = allocate (local); old = swap(P, n); defer(old) (local) */
			j = 1;
			do
			:: loc[j] == FREE -> break
			:: else -> j++
			od;
			loc[j] = LIVE;
			loc[P] = OPEN;
			P = j;
#ifdef MUT_LOCALTAG
			bagAge = rec[W];    /* mutant: tag = the writer's pinned epoch */
#endif
			j = 0
		};
		/* A defer may collect while still pinned (bag full, many pending).
		 * (Unpinned, that collection is the one at the end of the round.) */
		if
		:: rec[W] != NONE -> seal(); advance_attempt(); reclaim()
		:: skip
		fi;
		rec[W] = NONE                               /* unpin: store state = 0 (if pinned) */
	   :: else -> skip
	   fi;
	   /* Seal now, or later (after more swaps) while objects remain to allocate. */
	   if
	   :: seal()
	   :: CAN_ALLOC -> skip
	   fi;
	   /* The periodic collection of an unpin. */
	   advance_attempt();
	   reclaim()
	od
}

proctype Collector()
{
	byte i;
	bool ok;

	do
	:: try_advance(1)
	od
}

init {
	byte n;
	atomic {
		for (n : 0 .. NREC - 1) {
			rec[n] = NONE;
			snap[n] = NONE
		}
		cg[0] = NONE; cg[1] = NONE;
		loc[1] = LIVE;
		for (n : 0 .. NR - 1) {
			run Reader(n)
		}
		run Writer();
#ifndef NO_COLLECTOR
		run Collector();
#endif
		n = 0
	}
}

/*
 * LIVENESS (2): every deferred object is eventually destroyed.  Checked with
 * pan -a -f (acceptance cycles under weak fairness: a process that stays
 * able to move does move, so readers keep unpinning and the writer keeps
 * collecting).  Object ids are reused, so "eventually" is per retirement.
 * One verifier run per object: pan -a -f -N liveO.
 */
#define RETIRED(o)  (loc[o] >= OPEN)
ltl live1 { [] (RETIRED(1) -> <> (loc[1] == FREE)) }
ltl live2 { [] (RETIRED(2) -> <> (loc[2] == FREE)) }
#if NOBJ >= 3
ltl live3 { [] (RETIRED(3) -> <> (loc[3] == FREE)) }
#endif
#if NOBJ >= 4
ltl live4 { [] (RETIRED(4) -> <> (loc[4] == FREE)) }
#endif
