# SPDX-License-Identifier: MIT
# Epoch GC: the stress and reclamation suites are also built against a forced-fence library
# (TERN_EPOCH_FORCE_FENCE: readers fence instead of relying on membarrier).
EPOCH_FENCE_BUILD := $(BUILD)/fence
EPOCH_FENCE_LIB := $(EPOCH_FENCE_BUILD)/libtern.a

$(eval $(call tern_variant,$(EPOCH_FENCE_BUILD),-DTERN_EPOCH_FORCE_FENCE))

$(BUILD)/tests/epoch_test_stress_fence: tests/epoch/test_stress.c $(EPOCH_FENCE_LIB) $(TEST_COMMON)
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -DTERN_EPOCH_FORCE_FENCE $< -o $@ $(EPOCH_FENCE_LIB) $(TEST_LIBS)

TEST_BINS_EXTRA += $(BUILD)/tests/epoch_test_stress_fence

# The reclamation suite (barrier over every thread, QSBR, polled grace
# periods) in forced-fence mode too: the appends take the record lock there
# instead of the membarrier handshake.
$(BUILD)/tests/epoch_test_reclaim_fence: tests/epoch/test_reclaim.c $(EPOCH_FENCE_LIB) $(TEST_COMMON)
	@mkdir -p $(dir $@)
	$(CC) $(TEST_CFLAGS) -DTERN_EPOCH_FORCE_FENCE $< -o $@ $(EPOCH_FENCE_LIB) $(TEST_LIBS)

TEST_BINS_EXTRA += $(BUILD)/tests/epoch_test_reclaim_fence
