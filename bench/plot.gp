# SPDX-License-Identifier: MIT
# bench/plot.gp — the chart of `make bench` (called by tools/bench-run):
#   gnuplot -e "lazyfile='...'; bdfile='...'; nlazy=N; nbd=M; outfile='...'; subtitle='...'" bench/plot.gp
# (nlazy, nbd: number of columns of each data file, written by tern-bench report.)
# Left: scenario 1, ns per get_transformed (thread CPU time, median of rounds)
# against the number of consumers.  Right: scenario 2, ns per read by payload.
if (!exists("lazyfile")) lazyfile = 'bench/results/raw/chart-lazy.dat'
if (!exists("bdfile")) bdfile = 'bench/results/raw/chart-breakdown.dat'
if (!exists("outfile")) outfile = 'bench/results/latest.png'
if (!exists("subtitle")) subtitle = ''

set terminal pngcairo size 1700,750 font ",10" noenhanced
set output outfile
set datafile missing "-"
# Twelve distinguishable colours (then the cycle repeats, dashed).
colours = "#1b9e77 #d95f02 #7570b3 #e7298a #66a61e #e6ab02 #a6761d #666666 #1f78b4 #e31a1c #000000 #b15928"
do for [i=1:12] { set linetype i lc rgb word(colours, i) lw 2 dt 1 }
do for [i=13:24] { set linetype i lc rgb word(colours, i - 12) lw 2 dt 2 }
set linetype cycle 24
set key autotitle columnhead
set multiplot layout 1,2 title "tern benchmark: thread CPU ns per read, median of rounds (log scale)\n".subtitle

set title "Scenario 1: LazyTransform get_transformed (1 producer, N consumers)"
set xlabel "consumer threads"
set ylabel "ns per read"
set logscale x 2
set logscale y
set grid ytics mytics
set key outside right top vertical
plot for [i=2:nlazy] lazyfile using 1:i with linespoints lw 2 pt 7 ps 0.8

unset logscale x
set title "Scenario 2: breakdown (read-side section + load + payload)"
set xlabel "payload"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set yrange [0.1:*]
set xtics rotate by -30
plot for [i=2:nbd] bdfile using i:xtic(1)
unset multiplot
