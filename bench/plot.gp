# SPDX-License-Identifier: MIT
# bench/plot.gp — the chart of `make bench` (called by tools/bench-run):
#   gnuplot -e "lazyfile='...'; bdfile='...'; nbd=M; outfile='...'; subtitle='...'" bench/plot.gp
# (nbd: the number of columns of the breakdown data file; nlazy is accepted and unused.)
# Three panels, thread CPU ns per read, median of rounds, log scale:
#   1. scenario 1, tern's rows (solid) against the peers (dashed: the floor,
#      liburcu, ck_epoch, Java, Rust) by number of consumers;
#   2. scenario 1, the exercise's lock versions, tern-borrow for reference;
#   3. scenario 2, the breakdown by payload.
# A row missing from the data (BENCH_ONLY, no Java or Rust) is left out.
if (!exists("lazyfile")) lazyfile = 'bench/results/raw/chart-lazy.dat'
if (!exists("bdfile")) bdfile = 'bench/results/raw/chart-breakdown.dat'
if (!exists("outfile")) outfile = 'bench/results/latest.png'
if (!exists("subtitle")) subtitle = ''
if (!exists("nbd")) nbd = 1

set terminal pngcairo size 2100,750 font ",10" noenhanced
set output outfile
set datafile missing "-"
# Twelve distinguishable colours: up to twelve rows of a panel each get their own.
colours = "#1b9e77 #d95f02 #7570b3 #e7298a #66a61e #e6ab02 #a6761d #666666 #1f78b4 #e31a1c #000000 #b15928"
do for [i=1:12] { set linetype i lc rgb word(colours, i) lw 2 dt 1 }
set linetype cycle 12
set key autotitle columnhead

# The lazy columns by panel: column numbers as lists of words.
hdr = system(sprintf("head -n 1 '%s'", lazyfile))
locks = " mutex fine-rwlock atomicbool-rwlock "
istern(c) = word(hdr, c)[1:4] eq "tern"
dashof(c) = istern(c) ? 1 : 2
widthof(c) = istern(c) ? 2.5 : 1.5
peers = ""; lockrows = ""; ref = ""
do for [i=2:words(hdr)] {
  if (strstrt(locks, " ".word(hdr, i)." ") > 0) { lockrows = lockrows." ".i } else { peers = peers." ".i }
  if (word(hdr, i) eq "tern-borrow") { ref = sprintf("%d", i) }
}

set multiplot layout 1,3 title "tern benchmark: thread CPU ns per read (transform path taken out), median of rounds, log scale\n".subtitle
set xlabel "consumer threads"
set ylabel "ns per read"
set logscale x 2
set logscale y
set grid ytics mytics
set key below maxrows 4

set title "Scenario 1: LazyTransform get_transformed - tern (solid) and its peers (dashed)"
if (words(peers) > 0) {
  plot for [k=1:words(peers)] lazyfile using 1:int(word(peers, k)) title word(hdr, int(word(peers, k))) \
       with linespoints lc k dt dashof(int(word(peers, k))) lw widthof(int(word(peers, k))) pt 7 ps 0.8
} else { plot 1 notitle lc rgb "white" }

set title "Scenario 1: the exercise's lock versions (tern-borrow for reference, dotted)"
if (words(lockrows) > 0) {
  plot for [k=1:words(lockrows)] lazyfile using 1:int(word(lockrows, k)) title word(hdr, int(word(lockrows, k))) \
       with linespoints lc (k + 8) lw 2 pt 5 ps 0.8, \
       for [c in ref] lazyfile using 1:int(c) title "tern-borrow" with linespoints lc 1 dt 3 lw 1.5 pt 7 ps 0.6
} else { plot 1 notitle lc rgb "white" }

unset logscale x
set title "Scenario 2: breakdown (read-side section + load + payload), 8 consumers"
set xlabel "payload"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set yrange [0.1:*]
set xtics rotate by -30
if (nbd >= 2) { plot for [i=2:nbd] bdfile using i:xtic(1) } else { plot 1 notitle lc rgb "white" }
unset multiplot
