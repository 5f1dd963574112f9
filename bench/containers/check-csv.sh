#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Checks that bench/containers' CSV is well-formed: the exact header, one row
# per (bench, implementation of that bench's container), positive finite
# numbers with p10 <= median <= p90 and min <= median <= max, a best peer
# and ratios, and no leaked node and no read of a freed one.
#
#   bench/containers/check-csv.sh FILE "BENCHES" "QUEUES" "STACKS" "MAPS"
set -euo pipefail
[ $# -eq 5 ] || { echo "usage: $0 FILE BENCHES QUEUES STACKS MAPS" >&2; exit 2; }
file=$1
[ -s "$file" ] || { echo "check-csv: $file is missing or empty" >&2; exit 1; }
header='bench,container,impl,threads,rounds,mops_median,mops_p10,mops_p90,mops_min,mops_max,cpu_ns_per_op_median,cpu_ns_per_op_p10,cpu_ns_per_op_p90,all_cpu_ns_per_op_median,best_peer,ratio_to_best_peer,paired_ratio_median,paired_ratio_p10,paired_ratio_p90,leaked,bad,slice_ms,cpu,compiler'
awk -F, -v header="$header" -v benches="$2" -v q="$3" -v s="$4" -v m="$5" '
function num(x) { return x ~ /^[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$/ }
function bad(msg) { printf "check-csv: %s line %d: %s\n", FILENAME, NR, msg > "/dev/stderr"; err = 1 }
BEGIN {
  nb = split(benches, B, " "); nf = split(header, H, ",")
  n["queue"] = split(q, IQ, " "); for (i = 1; i <= n["queue"]; i++) { want["queue", IQ[i]] = 1; L["queue", i] = IQ[i] }
  n["stack"] = split(s, IS, " "); for (i = 1; i <= n["stack"]; i++) { want["stack", IS[i]] = 1; L["stack", i] = IS[i] }
  n["map"] = split(m, IM, " "); for (i = 1; i <= n["map"]; i++) { want["map", IM[i]] = 1; L["map", i] = IM[i] }
}
NR == 1 { if ($0 != header) bad("header is \"" $0 "\""); next }
{
  if (NF != nf) { bad("has " NF " fields, want " nf); next }
  kind[$1] = $2
  if (!(($2, $3) in want)) bad("unexpected implementation " $3 " of " $2)
  if (!num($4) || $4 < 1 || !num($5) || $5 < 1) bad("threads " $4 " / rounds " $5)
  for (f = 6; f <= 14; f++) if (!num($f) || $f <= 0) bad("field " H[f] " = \"" $f "\"")
  if (!($7 <= $6 && $6 <= $8)) bad("not p10 <= median <= p90")
  if (!($9 <= $7 && $8 <= $10)) bad("not min <= p10, p90 <= max")
  if (!($12 <= $11 && $11 <= $13)) bad("CPU not p10 <= median <= p90")
  if ($14 < $11 * 0.999) bad("all-thread CPU per op below the threads own")
  if ($15 == "") bad("no best peer")
  for (f = 16; f <= 19; f++) if (!num($f) || $f <= 0) bad("field " H[f] " = \"" $f "\"")
  if (!($18 <= $17 && $17 <= $19)) bad("paired ratio not p10 <= median <= p90")
  if ($20 != 0) bad($3 " leaked " $20 " nodes (or freed some twice)")
  if ($21 != 0) bad($3 " read " $21 " freed nodes")
  if (!num($22) || $22 <= 0) bad("slice_ms " $22)
  if (($1, $3) in seen) bad("duplicate row")
  seen[$1, $3] = 1
}
END {
  if (NR < 2) bad("no data rows")
  for (b = 1; b <= nb; b++) {
    if (!(B[b] in kind)) { bad("missing bench " B[b]); continue }
    k = kind[B[b]]
    for (i = 1; i <= n[k]; i++) if (!((B[b], L[k, i]) in seen)) bad("missing " L[k, i] " in " B[b])
  }
  exit err
}' "$file"
