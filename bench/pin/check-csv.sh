#!/usr/bin/env bash
# Checks that a bench/pin or bench/reclaim CSV is well-formed: exact header,
# one row per expected (implementation, thread count[, clock]), positive
# finite numbers with min <= median <= max, and (reclaim) no leaked objects
# and no reader that saw a destroyed object.
#
#   bench/pin/check-csv.sh pin     FILE "impl1 impl2 ..." "1 2"
#   bench/pin/check-csv.sh reclaim FILE "impl1 impl2 ..." "1 2"
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 pin|reclaim FILE IMPLS COUNTS" >&2; exit 2; }
kind=$1 file=$2 impls=$3 counts=$4
[ -s "$file" ] || { echo "check-csv: $file is missing or empty" >&2; exit 1; }
case "$kind" in
  pin) header='impl,threads,clock,median_ns,min_ns,max_ns,ratio_to_tern,loop_phase,slowest_phase_median_ns,rounds,cpu,compiler' ;;
  reclaim) header='impl,writers,rounds,mobj_per_s_median,mobj_per_s_min,mobj_per_s_max,ratio_to_tern,writer_cpu_ns_per_obj,peak_pending_median,peak_pending_max,peak_rss_kib_median,peak_rss_kib_max,reader_mreads_per_s,reader_max_gap_ms,leaked,bad_reads,cpu,compiler' ;;
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
  if (!($2 in want_count)) bad("unexpected thread count " $2)
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
    if (kind == "pin") {
      if (!((I[i] SUBSEP C[c] SUBSEP "thread_cpu") in seen) || !((I[i] SUBSEP C[c] SUBSEP "wall") in seen))
        bad("missing " I[i] " with " C[c] " threads")
    } else if (!((I[i] SUBSEP C[c]) in seen)) bad("missing " I[i] " with " C[c] " writers")
  }
  exit err
}' "$file"
