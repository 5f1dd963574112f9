#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Checks that a bench/pin or bench/reclaim CSV is well-formed: exact header,
# one row per expected (implementation, thread count[, clock]), positive
# finite numbers with min <= median <= max, and (reclaim) no leaked objects
# and no reader that saw a destroyed object.
#
#   bench/pin/check-csv.sh pin          FILE "impl1 impl2 ..." "1 2"
#   bench/pin/check-csv.sh reclaim      FILE "impl1 impl2 ..." "1 2"      (writers)
#   bench/pin/check-csv.sh reclaim-gp   FILE "tern urcu-memb ck_epoch" "1 2"   (readers)
#   bench/pin/check-csv.sh reclaim-idle FILE "impl1 impl2 ..." "-"
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 pin|reclaim|reclaim-gp|reclaim-idle FILE IMPLS COUNTS" >&2; exit 2; }
kind=$1 file=$2 impls=$3 counts=$4
[ -s "$file" ] || { echo "check-csv: $file is missing or empty" >&2; exit 1; }
case "$kind" in
  pin) header='impl,threads,clock,median_ns,min_ns,max_ns,ratio_to_tern,loop_phase,slowest_phase_median_ns,rounds,cpu,compiler' ;;
  reclaim) header='impl,writers,rounds,mobj_per_s_median,mobj_per_s_min,mobj_per_s_max,ratio_to_tern,writer_cpu_ns_per_obj,peak_pending_median,peak_pending_max,peak_rss_kib_median,peak_rss_kib_max,reader_mreads_per_s,reader_max_gap_ms,leaked,bad_reads,cpu,compiler,mode,slice_ms,all_cpu_ns_per_obj,best_peer,ratio_to_best_peer,paired_ratio_median,paired_ratio_min,paired_ratio_max,paired_ratio_p10,paired_ratio_p90,paired_cpu_ratio_median,paired_cpu_ratio_min,paired_cpu_ratio_max,warm_ms_median' ;;
  reclaim-gp) header='impl,readers,rounds,call,sync_us_median,sync_us_p10,sync_us_p90,slice_median_us_min,slice_median_us_max,syncs,ratio_to_urcu_memb,paired_ratio_median,paired_ratio_min,paired_ratio_max,paired_ratio_p10,paired_ratio_p90,syncer_cpu_us_per_sync,reader_mreads_per_s,bad_reads,slice_ms,cpu,compiler' ;;
  reclaim-idle) header='impl,rounds,objects,sleep_ms,destroyed_at_sleep_median,destroyed_at_wake_median,destroyed_at_wake_min,destroyed_at_wake_max,barrier,destroyed_before_barrier_median,destroyed_after_barrier_median,destroyed_after_barrier_min,destroyed_after_barrier_max,barrier_ms_median,barrier_ms_max,leaked,bad_reads,cpu,compiler' ;;
  *) echo "check-csv: unknown kind $kind" >&2; exit 2 ;;
esac
awk -F, -v kind="$kind" -v header="$header" -v impls="$impls" -v counts="$counts" '
function num(x) { return x ~ /^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/ }
function bad(msg) { printf "check-csv: %s line %d: %s\n", FILENAME, NR, msg > "/dev/stderr"; err = 1 }
BEGIN {
  ni = split(impls, I, " "); nc = split(counts, C, " ")
  for (i = 1; i <= ni; i++) want_impl[I[i]] = 1
  for (c = 1; c <= nc; c++) want_count[C[c]] = 1
  nf = split(header, H, ",")
}
NR == 1 { if ($0 != header) bad("header is \"" $0 "\""); next }
{
  if (NF != nf) { bad("has " NF " fields, want " nf); next }
  if (!($1 in want_impl)) bad("unexpected implementation " $1)
  if (kind == "reclaim-idle") {
    key = $1
    for (f = 2; f <= 8; f++) if (!num($f)) bad("field " H[f] " = \"" $f "\"")
    for (f = 10; f <= 15; f++) if (!num($f)) bad("field " H[f] " = \"" $f "\"")
    if ($3 < 1 || $4 <= 0) bad("objects " $3 " / sleep " $4)
    if (!($7 <= $6 && $6 <= $8) || !($12 <= $11 && $11 <= $13)) bad("not min <= median <= max")
    if ($8 > $3 || $13 > $3) bad("more of the sleeping thread objects destroyed than it deferred")
    if ($9 == "") bad("no barrier named")
    if ($14 > $15) bad("barrier time median > max")
    if ($16 != 0) bad($1 " leaked " $16 " objects")
    if ($17 != 0) bad($1 " let a reader see " $17 " destroyed objects")
    if (key in seen) bad("duplicate row")
    seen[key] = 1
    next
  }
  if (!($2 in want_count)) bad("unexpected thread count " $2)
  if (kind == "reclaim-gp") {
    key = $1 SUBSEP $2
    if (!num($3) || $3 < 1) bad("rounds " $3)
    if ($4 == "") bad("no call named")
    # A peer synchronize may complete none within a smoke-length slice
    # (ck_epoch_synchronize spins behind a reader): its timing fields are
    # then 0; the tern rows must always have completed some.
    done = num($10) && $10 >= 1
    if ($1 ~ /^tern/ && !done) bad("no synchronize completed")
    for (f = 5; f <= 9; f++) if (!num($f) || (done && $f <= 0)) bad("field " H[f] " = \"" $f "\"")
    if (!($6 <= $5 && $5 <= $7)) bad("not p10 <= median <= p90")
    if (!($8 <= $9)) bad("slice medians min > max")
    for (f = 11; f <= 18; f++) if (!num($f)) bad("field " H[f] " = \"" $f "\"")
    if (!($15 <= $12 && $12 <= $16)) bad("paired ratio not p10 <= median <= p90")
    if ($1 ~ /^tern/ && $18 <= 0) bad("readers made no progress")
    if ($19 != 0) bad($1 " let a reader see " $19 " destroyed objects")
    if (key in seen) bad("duplicate row")
    seen[key] = 1
    next
  }
  if (kind == "pin") {
    if ($3 != "thread_cpu" && $3 != "wall") bad("unknown clock " $3)
    key = $1 SUBSEP $2 SUBSEP $3; lo = 4
    if ($8 !~ /^\+(0|16|32|48)$/) bad("loop_phase " $8)
    if (!num($9) || $9 < $4) bad("slowest placement median " $9 " below the fastest " $4)
    if (!num($10) || $10 < 1) bad("rounds " $10)
  } else {
    key = $1 SUBSEP $2; lo = 4
    if (!num($3) || $3 < 1) bad("rounds " $3)
    for (f = 8; f <= 14; f++) if (!num($f)) bad("field " H[f] " = \"" $f "\"")
    if ($9 > $10) bad("peak pending median > max")
    if ($11 <= 0 || $11 > $12) bad("peak RSS " $11 " / " $12)
    if ($13 <= 0) bad("reader made no progress")
    if ($15 != 0) bad($1 " leaked " $15 " objects")
    if ($16 != 0) bad($1 " let a reader see " $16 " destroyed objects")
    if ($19 != "slice" && $19 != "process") bad("mode " $19)
    if (!num($20) || $20 <= 0) bad("slice_ms " $20)
    if (!num($21) || $21 < $8) bad("all-thread CPU per object " $21 " below the writers " $8)
    if ($22 == "") bad("no best peer")
    for (f = 23; f <= 31; f++) if (!num($f) || $f <= 0) bad("field " H[f] " = \"" $f "\"")
    if (!($25 <= $24 && $24 <= $26) || !($25 <= $27 && $27 <= $28 && $28 <= $26)) bad("paired ratios out of order")
    if (!($30 <= $29 && $29 <= $31)) bad("paired CPU ratios out of order")
    if (!num($32)) bad("warm_ms_median " $32)
  }
  for (f = lo; f < lo + 3; f++) if (!num($f) || $f <= 0) bad("field " H[f] " = \"" $f "\"")
  if (!($(lo + 1) <= $lo && $lo <= $(lo + 2))) bad("not min <= median <= max")
  if ($7 != "" && (!num($7) || $7 <= 0)) bad("ratio \"" $7 "\"")
  if (key in seen) bad("duplicate row")
  seen[key] = 1
}
END {
  if (NR < 2) bad("no data rows")
  for (i = 1; i <= ni; i++) for (c = 1; c <= nc; c++) {
    if (kind == "reclaim-idle") {
      if (c == 1 && !(I[i] in seen)) bad("missing " I[i])
    } else if (kind == "pin") {
      if (!((I[i] SUBSEP C[c] SUBSEP "thread_cpu") in seen) || !((I[i] SUBSEP C[c] SUBSEP "wall") in seen))
        bad("missing " I[i] " with " C[c] " threads")
    } else if (!((I[i] SUBSEP C[c]) in seen)) bad("missing " I[i] " with " C[c] " threads")
  }
  exit err
}' "$file"
