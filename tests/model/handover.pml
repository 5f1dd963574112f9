/* SPDX-License-Identifier: MIT */
/*
 * tests/model/handover.pml — SPIN model of the hand-over of a thread's
 * sealed bins to the domain's three orphan bins (thread exit,
 * tern_epoch_flush(), the fork child), and of the later destruction of the
 * orphans, in tern's three-bin epoch reclamation (src/epoch/).  Shared-memory
 * steps, sequentially consistent interleaving, like epoch.pml; README.md
 * beside this file says what is proved and why the abstraction is sound.
 *
 * Processes
 *   Reader(i), i < NR  forever: pin (load G; store state), load P, use it,
 *                      unpin (store state = inactive)
 *   Writer(w), w < 2   forever, in any order: swap a fresh object into P and
 *                      defer the old one to its open bag; collect (seal;
 *                      then load G, destroy its own due bins and take the due
 *                      orphans); flush (seal; then hand over every bin to
 *                      the orphan bins under the domain lock).  Thread exit
 *                      is a collect followed by a flush, and the fork child
 *                      hands over a dead thread's bins the same way.
 *   Collector          forever: try_advance (every advance of every thread:
 *                      they are serialised by D->lock)
 *   Sweeper            forever: take the due orphans (orphans_take_due() of
 *                      any thread's epoch__collect() or barrier)
 *
 * Hand-over (hand_over() in src/epoch/), one step under D->lock: g = load G;
 * for each bin of the thread, with tag t:
 *   - the due filter: if t + 2 <= g, the bin goes to the mover's local batch
 *     and is destroyed;
 *   - otherwise bin_add(orphans, t): if orphans[t % 3] holds a different tag
 *     t', then t' <= t - 3 (TERN_ASSERT "bin tags out of order", the
 *     three-bin argument), t' is due, and its content is displaced into the
 *     local batch and destroyed; the bin then joins orphans[t % 3] with tag t.
 *
 * Switches (spin -D...):
 *   MUT_NOFILTER  mutant: no due filter; a due bin is merged into the orphan
 *                 bins like any other (the old fork-child path).  A displaced
 *                 "older" tag is destroyed whether or not it is due.
 *   MUT_NOTAKE    mutant (liveness): collections never take the due orphans
 *   RELEASE       without the TERN_ASSERT of epoch__bin_add() (a release build):
 *                 the mutant then shows the early destruction itself
 *   NR            readers (default 2)
 *   NOBJ          object ids 1..NOBJ (default 3: one published, two in flight; or 4)
 *   NO_GHOST      for the liveness runs: without the safety ghost `held`
 *                 and the reader's load of P (nothing else reads them)
 *   PROBE=n       reachability probe n fails an assertion when its situation
 *                 is reached (README, "Further checks"); 0 = none
 *
 * Epoch values are ages (G - value), as in epoch.pml: a record's epoch is
 * 0 (== G) or 1 (older); a tag's age is kept exactly up to 2 and wraps from
 * 6 to 3 (3..5 = "at least 3, this residue mod 3"); the bin of a tag is its
 * age mod 3.  Every question the protocol asks is answered exactly: due?
 * (age >= 2), which bin?, and the tag comparisons of epoch__bin_add(), because the
 * protocol only ever adds a tag of age 0 (seal) or 0..1 (hand-over, after
 * the due filter).  Only the mutant adds old tags; there, comparing two ages
 * >= 3 of one residue is not exact: the model then sets `vague`, after
 * which no assertion can fail.  So every counterexample of the mutant uses
 * exact comparisons only, and is an execution of the mutated code.
 */

#ifndef NR
#define NR 2
#endif
#ifndef NOBJ
#define NOBJ  3             /* object ids 1..NOBJ: one published, the others in flight */
#endif
#define NONE  255           /* no value / inactive record */

/*
 * Where an object is (loc[o]).  The writer's private states are folded into
 * the swap step, as in epoch.pml.
 */
#define FREE    0           /* destroyed (or never allocated): may be reused */
#define LIVE    1           /* published in P */
#define OPEN(w) (2 + (w))   /* deferred, in writer w's open (untagged) bag */
#define WB(w)   (4 + 6 * (w)) /* + age: in writer w's bin of that tag age */
#define ORPH    16          /* + age: in the orphan bin of that tag age */
#define IN(v, base)  ((v) >= (base) && (v) < (base) + 6)

#define DUE(a)  ((a) >= 2)  /* t + 2 <= G */

#ifdef MUT_NOFILTER
#define MUTANT       1
#define FILTERED(a)  false      /* mutant: no due filter */
#define VAGUE        vague
#else
#define MUTANT       0
#define FILTERED(a)  DUE(a)     /* the due filter: t + 2 <= g */
#define VAGUE        false
#endif
#ifdef RELEASE
#define TERN_ASSERT(c)  skip    /* release build: TERN_ASSERT compiled out */
#else
#define TERN_ASSERT(c)  assert(c)
#endif

/* REACH(n, c): with -DPROBE=n, an assertion fails where c holds. */
#ifdef PROBE
#define REACH(n, c)  assert(PROBE != (n) || !(c))
#define PROBES_2_3   filter_probes()
#else
#define REACH(n, c)  skip
#define PROBES_2_3   skip
#endif

#define AGE_SHORT(a)  a = ((a) == NONE -> NONE : 1)

byte rec[NR];               /* reader record state: NONE = inactive, else its epoch's age */
byte snap[NR];              /* a pin's load of G, not yet stored (NONE = none) */
byte P = 1;                 /* the shared pointer: an object id */
byte loc[NOBJ + 1];         /* loc[0] unused */
byte held[NR];              /* ghost: the object a pinned reader loaded, 0 = none */
byte k, s;                  /* scratch, reset to 0 after each use */
bool vague;                 /* mutant only: an inexact tag comparison was made */

#if NOBJ == 3
#define CAN_ALLOC       (loc[1] == FREE || loc[2] == FREE || loc[3] == FREE)
#define BAG_NONEMPTY(w) (loc[1] == OPEN(w) || loc[2] == OPEN(w) || loc[3] == OPEN(w))
#elif NOBJ == 4
#define CAN_ALLOC       (loc[1] == FREE || loc[2] == FREE || loc[3] == FREE || loc[4] == FREE)
#define BAG_NONEMPTY(w) (loc[1] == OPEN(w) || loc[2] == OPEN(w) || loc[3] == OPEN(w) || \
			 loc[4] == OPEN(w))
#else
#error "NOBJ must be 3 or 4"
#endif

/*
 * destroy(o): the destructor runs.  SAFETY (1): no reader that loaded o is
 * still pinned.  (The reader's use step checks the same from its side.)
 */
inline destroy(o) {
	for (k : 0 .. NR - 1) {
		assert(VAGUE || held[k] != o)    /* SAFETY (1): o is not in use */
	}
	k = 0;
	loc[o] = FREE
}

/* A successful advance of G: every live stored value ages by one. */
inline advance() {
	for (k : 0 .. NR - 1) {
		AGE_SHORT(rec[k]);
		AGE_SHORT(snap[k])
	}
	for (k : 1 .. NOBJ) {
		if
		:: loc[k] >= WB(0) ->            /* a tag's age + 1; 6 wraps to 3 */
			s = (loc[k] - WB(0)) % 6;
			loc[k] = loc[k] - s + (s < 5 -> s + 1 : 3)
		:: else -> skip
		fi
	}
	k = 0; s = 0
}

/*
 * try_advance (the Collector's; locals i = 0, ok = true when idle): under
 * D->lock, g = load G; load each record's state, failing at the first one
 * pinned at an epoch != g; then store G = g + 1.  All advances are serialised by D->lock, and
 * only the Collector advances in this model, so G cannot change during the
 * scan and g is always the current G (age 0).
 */
inline try_advance() {
	do
	:: d_step {                                  /* advance: load record i's state */
		i < NR && ok;
		ok = (rec[i] == NONE || rec[i] == 0);
		i = (ok -> i + 1 : i)
	   }
	:: d_step {                                  /* advance: store G = g + 1 (if all current) */
		!(i < NR && ok);
		if
		:: ok -> advance()
		:: else -> skip
		fi;
		i = 0; ok = true
	   };
	   break
	od
}

/*
 * orphans_take_due(): under D->lock, the orphan bins with t + 2 <= G are
 * destroyed.  MUT_NOTAKE (liveness mutant): collections never visit the
 * orphan bins, as when a hand-over does not raise the orphan count hint
 * that orphans_take_due() checks before it takes the lock.
 */
#ifdef MUT_NOTAKE
#define TAKE_ORPHANS  j = 0
#else
#define TAKE_ORPHANS \
	for (j : 1 .. NOBJ) { \
		if \
		:: IN(loc[j], ORPH) && DUE(loc[j] - ORPH) -> REACH(6, true); destroy(j) \
		:: else -> skip \
		fi \
	}; \
	j = 0
#endif

/*
 * seal (W2): t = load G (age 0); the open bag moves to the writer's bin
 * [t mod 3].  If that bin holds a different tag b, b is at least 3 older
 * (asserted, as epoch__bin_add()'s TERN_ASSERT) and due: destroyed first.
 */
inline seal(w) {
	d_step {                                     /* seal: t = load G; bag -> bin[t mod 3] */
		if
		:: BAG_NONEMPTY(w) ->
			b = NONE;
			for (j : 1 .. NOBJ) {
				if
				:: IN(loc[j], WB(w)) && (loc[j] - WB(w)) % 3 == 0 -> b = loc[j] - WB(w)
				:: else -> skip
				fi
			}
			if
			:: b != NONE && b != 0 ->
				TERN_ASSERT(b >= 3);     /* epoch__bin_add(): older by 3, hence due */
				for (j : 1 .. NOBJ) {
					if
					:: loc[j] == WB(w) + b -> destroy(j)
					:: else -> skip
					fi
				}
			:: else -> skip
			fi;
			for (j : 1 .. NOBJ) {
				if
				:: loc[j] == OPEN(w) -> loc[j] = WB(w)
				:: else -> skip
				fi
			}
		:: else -> skip
		fi;
		b = 0; j = 0
	}
}

/* epoch__collect()'s end: g = load G; destroy its own due bins; take the due orphans (same g). */
inline reclaim(w) {
	d_step {                                     /* collect: load G, destroy own due bins and due orphans */
		for (j : 1 .. NOBJ) {
			if
			:: IN(loc[j], WB(w)) && DUE(loc[j] - WB(w)) -> destroy(j)
			:: else -> skip
			fi
		};
		TAKE_ORPHANS
	}
}

/* b = the tag age of orphans[a mod 3], NONE if that bin is empty. */
inline orphan_age() {
	b = NONE;
	for (j : 1 .. NOBJ) {
		if
		:: IN(loc[j], ORPH) && (loc[j] - ORPH) % 3 == a % 3 -> b = loc[j] - ORPH
		:: else -> skip
		fi
	}
}

/*
 * bin_add(orphans, t, ...) of the writer's bin of tag age a.  A different
 * tag b in orphans[a mod 3] is displaced into the local batch and
 * destroyed; TERN_ASSERT (not under RELEASE) requires it to be at least 3
 * older.  Comparing a and b is exact unless both are >= 3, which only the
 * mutant reaches (asserted).
 */
inline orphan_add(w) {
	orphan_age();
	if
	:: b == NONE -> ok = true
	:: b != NONE && (a < 3 || b < 3) -> ok = (a == b)
	:: b != NONE && a >= 3 && b >= 3 ->     /* both "at least 3": not exact */
		assert(MUTANT);
		vague = true;                   /* no assertion can fail from here on, */
		ok = false                      /* so either answer will do */
	fi;
	if
	:: !ok ->
		REACH(4, true);
		TERN_ASSERT(VAGUE || b >= a + 3); /* epoch__bin_add(): "bin tags out of order" */
		for (j : 1 .. NOBJ) {
			if
			:: loc[j] == ORPH + b -> destroy(j) /* displaced into the batch: destroyed */
			:: else -> skip
			fi
		}
	:: else -> REACH(5, b != NONE)
	fi;
	for (j : 1 .. NOBJ) {
		if
		:: loc[j] == WB(w) + a -> loc[j] = ORPH + a
		:: else -> skip
		fi
	}
}

/*
 * Probes 2 and 3, at the due filter: without it, epoch__bin_add() would displace
 * a tag that is not due (3: and a pinned reader holds an object of it).
 */
inline filter_probes() {
	orphan_age();
	REACH(2, b != NONE && b != a && !DUE(b));
	for (j : 1 .. NOBJ) {
		REACH(3, b != NONE && !DUE(b) && loc[j] == ORPH + b &&
			 (held[0] == j || held[NR / 2] == j || held[NR - 1] == j)) /* NR <= 3 */
	}
}

/*
 * hand_over(): one step under D->lock.  g = load G; for each of the
 * writer's bins (residues r = 0, 1, 2 of its tag age a): the due filter,
 * then epoch__bin_add() into the orphan bins.
 */
inline hand_over(w) {
	d_step {                                     /* hand over: lock; g = load G; bins -> orphans; unlock */
		for (r : 0 .. 2) {
			a = NONE;
			for (j : 1 .. NOBJ) {
				if
				:: IN(loc[j], WB(w)) && (loc[j] - WB(w)) % 3 == r -> a = loc[j] - WB(w)
				:: else -> skip
				fi
			}
			if
			:: a == NONE -> skip
			:: a != NONE && FILTERED(a) ->   /* due filter: t + 2 <= g, to the local batch */
				REACH(1, true);
				PROBES_2_3;
				for (j : 1 .. NOBJ) {
					if
					:: loc[j] == WB(w) + a -> destroy(j)
					:: else -> skip
					fi
				}
			:: a != NONE && !FILTERED(a) -> orphan_add(w)
			fi
		}
		r = 0; a = 0; b = 0; j = 0; ok = false
	}
}

proctype Reader(byte me)
{
	do
	:: snap[me] = 0;                                    /* pin: e = load G */
	   d_step { rec[me] = snap[me]; snap[me] = NONE };  /* pin: store state = (e, active) */
#ifndef NO_GHOST
	   held[me] = P;                                    /* o = load P */
#endif
	   d_step {                                         /* use o; unpin: store state = 0 */
#ifndef NO_GHOST
		assert(VAGUE || loc[held[me]] != FREE);     /* SAFETY (1), reader side */
		REACH(7, rec[me] == 1 && IN(loc[held[me]], ORPH) && loc[held[me]] - ORPH >= 1);
		held[me] = 0;
#endif
		rec[me] = NONE
	   }
	od
}

proctype Writer(byte w)
{
	byte j, r, a, b;
	bool ok;

	do
	:: d_step {                 /* n = allocate (local); old = swap(P, n); defer(old) (local) */
			CAN_ALLOC;
			j = 1;
			do
			:: loc[j] == FREE -> break
			:: else -> j++
			od;
			loc[j] = LIVE;
			loc[P] = OPEN(w);
			P = j;
			j = 0
		}
	:: seal(w); reclaim(w)          /* epoch__collect(): seal, [advance: the Collector's], reclaim */
	:: seal(w); hand_over(w)        /* flush, or exit (after a collect), or the fork child */
	od
}

proctype Collector()
{
	byte i;
	bool ok = true;

	do
	:: try_advance()
	od
}

/*
 * Another thread's epoch__collect() or barrier visiting the orphan bins
 * (orphans_take_due()), at any moment: under D->lock, load G, take the due
 * orphans.  A separate process, so that advances and orphan collections
 * interleave freely (an advance by a thread whose trylock on the orphans
 * then fails leaves due orphans behind), and so that weak fairness makes it
 * happen eventually.
 */
proctype Sweeper()
{
	byte j;

	do
	:: d_step {                                  /* orphans: lock; load G; take the due orphans */
		TAKE_ORPHANS
	   }
	od
}

init {
	byte n;
	atomic {
		for (n : 0 .. NR - 1) {
			rec[n] = NONE;
			snap[n] = NONE
		}
		loc[1] = LIVE;
		for (n : 0 .. NR - 1) {
			run Reader(n)
		}
		run Writer(0);
		run Writer(1);
		run Collector();
		run Sweeper();
		n = 0
	}
}

/*
 * LIVENESS (2): every deferred object (open, in a thread's bin, or
 * orphaned) is eventually destroyed; pan -a -f -N liveO.
 */
#define RETIRED(o)  (loc[o] >= OPEN(0))
ltl live1 { [] (RETIRED(1) -> <> (loc[1] == FREE)) }
ltl live2 { [] (RETIRED(2) -> <> (loc[2] == FREE)) }
ltl live3 { [] (RETIRED(3) -> <> (loc[3] == FREE)) }
#if NOBJ >= 4
ltl live4 { [] (RETIRED(4) -> <> (loc[4] == FREE)) }
#endif
