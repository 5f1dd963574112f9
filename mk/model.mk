# SPDX-License-Identifier: MIT
# mk/model.mk — the SPIN models of the epoch protocol (issues 7 and 10).
#
#   make check-model   generates and compiles one pan verifier per check of
#                      tests/model/epoch.pml (the grace-period core) and
#                      tests/model/handover.pml (checks ho-*: thread exit /
#                      flush hand-over to the orphan bins) in
#                      $(BUILD)/model/<check>/, runs it, and compares the
#                      outcome with what is expected: the real protocol
#                      verified (safety, and liveness for each object), every
#                      mutant refuted by a counterexample (which is printed).
#                      Fails on any other outcome, so it proves that the
#                      checks can fail.  See tests/model/README.md.
#
#   make check-model-big   larger instances, 3 readers or 4 objects: safety,
#                      and liveness of object 1; about 15 minutes and up to
#                      4.3 GB per verifier.  Not in CI.
#
# Knobs: MODEL_PAN_CC (compiler of the verifiers, default $(CC)),
# MODEL_DEPTH (pan -m, DFS stack depth), MODEL_HASH (pan -w, log2 of the hash
# table size).  Run by `make ci-extra`, not by `make test`.

.PHONY: check-model check-model-big model-safety-nr3 model-safety-nobj4 \
	model-live1-nr3 model-live1-nobj4 model-safety model-live1 model-live2 model-live3 \
	model-mut-t1 model-mut-localtag model-mut-localtag-ap model-mut-eqdue \
	model-ho-safety model-ho-live1 model-ho-live2 model-ho-live3 model-ho-mut-nofilter \
	model-ho-mut-nofilter-dbg model-ho-mut-notake model-ho-safety-nr3

MODEL_DIR := $(BUILD)/model
MODEL_RUN := tests/model/run-check
MODEL_PAN_CC ?= $(CC)
MODEL_DEPTH ?= 3000000
MODEL_HASH ?= 25
# Longest first, so that make -j2 keeps both cores busy.
MODEL_CHECKS := ho-live1 ho-live2 ho-live3 live1 live2 live3 ho-safety safety \
	mut-t1 mut-localtag mut-localtag-ap mut-eqdue \
	ho-mut-nofilter ho-mut-nofilter-dbg ho-mut-notake

MODEL_SAFETY := -DSAFETY -DNOCLAIM
MODEL_DFS := -m$(MODEL_DEPTH) -w$(MODEL_HASH)
# Liveness: acceptance cycles (-a) under weak fairness (-f), without the
# safety-only ghost (NO_GHOST in epoch.pml).
MODEL_LIVE := -a -f $(MODEL_DFS)
# Counterexamples of the safety mutants: breadth-first, hence shortest.
MODEL_BFS := -DBFS $(MODEL_SAFETY)

# $(call model_run,NAME,EXPECT,SPIN_DEFS,PAN_CFLAGS,PAN_ARGS[,MODEL]); MODEL defaults to epoch.pml.
model_run = PAN_CC='$(MODEL_PAN_CC)' $(MODEL_RUN) $(1) '$(2)' $(MODEL_DIR) "$(3)" "$(4)" "$(5)" $(6)

model-safety:
	@$(call model_run,safety,pass,,$(MODEL_SAFETY),$(MODEL_DFS))
model-live1:
	@$(call model_run,live1,pass,-DNO_GHOST,,$(MODEL_LIVE) -N live1)
model-live2:
	@$(call model_run,live2,pass,-DNO_GHOST,,$(MODEL_LIVE) -N live2)
model-live3:
	@$(call model_run,live3,pass,-DNO_GHOST,,$(MODEL_LIVE) -N live3)
# Destroying at t + 1 <= G must be unsafe.
model-mut-t1:
	@$(call model_run,mut-t1,assert,-DMUT_T1,$(MODEL_BFS),)
# Tagging with the writer's pinned epoch (any G loaded before the unlink) must be unsafe ...
model-mut-localtag:
	@$(call model_run,mut-localtag,assert,-DMUT_LOCALTAG,$(MODEL_BFS),)
# ... even when pins are atomic (no stale announcement needed).
model-mut-localtag-ap:
	@$(call model_run,mut-localtag-ap,assert,-DMUT_LOCALTAG -DATOMIC_PIN,$(MODEL_BFS),)
# A bin due only at t + 2 == G is missed forever once G passes it: liveness must fail.
model-mut-eqdue:
	@$(call model_run,mut-eqdue,cycle,-DMUT_EQDUE -DNO_GHOST,,$(MODEL_LIVE) -N live1)

# tests/model/handover.pml: hand-over of a thread's bins to the orphan bins
# (thread exit, flush, fork child).  2 readers, 2 movers, a collector and an
# orphan sweeper: 7 processes plus the claim need NFAIR=3 for -f.
MODEL_HO := handover.pml
MODEL_HO_LIVE := -DNFAIR=3
model-ho-safety:
	@$(call model_run,ho-safety,pass,,$(MODEL_SAFETY),$(MODEL_DFS),$(MODEL_HO))
model-ho-live1:
	@$(call model_run,ho-live1,pass,-DNO_GHOST,$(MODEL_HO_LIVE),$(MODEL_LIVE) -N live1,$(MODEL_HO))
model-ho-live2:
	@$(call model_run,ho-live2,pass,-DNO_GHOST,$(MODEL_HO_LIVE),$(MODEL_LIVE) -N live2,$(MODEL_HO))
model-ho-live3:
	@$(call model_run,ho-live3,pass,-DNO_GHOST,$(MODEL_HO_LIVE),$(MODEL_LIVE) -N live3,$(MODEL_HO))
# No due filter (the old fork-child merge), release build: a displaced tag
# that is not due is destroyed under a pinned reader (the SAFETY assertion) ...
model-ho-mut-nofilter:
	@$(call model_run,ho-mut-nofilter,assert:held[k],-DMUT_NOFILTER -DRELEASE,$(MODEL_BFS),,$(MODEL_HO))
# ... and in a debug build bin_add()'s TERN_ASSERT ("bin tags out of order") fails.
model-ho-mut-nofilter-dbg:
	@$(call model_run,ho-mut-nofilter-dbg,assert:b>=(a+3),-DMUT_NOFILTER,$(MODEL_BFS),,$(MODEL_HO))
# Collections that never visit the orphan bins: an orphan is never destroyed.
model-ho-mut-notake:
	@$(call model_run,ho-mut-notake,cycle,-DMUT_NOTAKE -DNO_GHOST,$(MODEL_HO_LIVE),$(MODEL_LIVE) -N live1,$(MODEL_HO))

check-model: $(addprefix model-,$(MODEL_CHECKS))
	@echo
	@echo "=== check-model: tests/model/epoch.pml, tests/model/handover.pml (ho-*) (SPIN $$(spin -V | sed -n 's/^Spin Version \([^ ]*\).*/\1/p'))"
	@cat $(foreach c,$(MODEL_CHECKS),$(MODEL_DIR)/$(c)/result)
	@echo "check-model: OK, all $(words $(MODEL_CHECKS)) checks gave the expected result"

# Larger instances: a deeper DFS stack and COLLAPSE compression of the states.
MODEL_BIG_DFS := -m20000000 -w27
model-safety-nr3:
	@$(call model_run,safety-nr3,pass,-DNR=3,$(MODEL_SAFETY) -DCOLLAPSE,$(MODEL_BIG_DFS))
model-safety-nobj4:
	@$(call model_run,safety-nobj4,pass,-DNOBJ=4,$(MODEL_SAFETY) -DCOLLAPSE,$(MODEL_BIG_DFS))
# 3 readers make 6 processes plus the claim: too many for the default NFAIR=2.
model-live1-nr3:
	@$(call model_run,live1-nr3,pass,-DNR=3 -DNO_GHOST,-DCOLLAPSE -DNFAIR=3,-a -f $(MODEL_BIG_DFS) -N live1)
model-live1-nobj4:
	@$(call model_run,live1-nobj4,pass,-DNOBJ=4 -DNO_GHOST,-DCOLLAPSE,-a -f $(MODEL_BIG_DFS) -N live1)
model-ho-safety-nr3:
	@$(call model_run,ho-safety-nr3,pass,-DNR=3,$(MODEL_SAFETY) -DCOLLAPSE,$(MODEL_BIG_DFS),$(MODEL_HO))
check-model-big: model-safety-nr3 model-safety-nobj4 model-live1-nr3 model-live1-nobj4 model-ho-safety-nr3
	@echo "check-model-big: OK, 3 readers and 4 objects verified (safety; liveness of object 1), hand-over with 3 readers"

ci-extra:: check-model
