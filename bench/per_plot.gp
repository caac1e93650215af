# Plots the PER curves written by bench_per (scripts/per.sh runs it):
#   gnuplot -e "dir='docs/per'" bench/per_plot.gp
if (!exists("dir")) dir = 'docs/per'
set terminal svg size 900,560 dynamic font "sans,12"
set logscale y
set yrange [0.0005:1.2]
set grid xtics ytics mytics
set key outside right top
set xlabel "in-band SNR (dB): signal power over noise power on the occupied carriers"
set ylabel "packet error rate"
set format y "10^{%L}"

set output dir.'/per_awgn.svg'
set title "G3-PLC CENELEC-A, AWGN, real synchronisation"
plot for [i=0:*] dir.'/per_awgn.dat' index i using 1:($4 > 0 ? $4 : 1/0) \
     with linespoints lc (i+1) pt (i+1) ps 0.6 title columnheader(1), \
     0.1 with lines dt 2 lc rgb "gray" notitle, 0.01 with lines dt 2 lc rgb "gray" notitle

set output dir.'/per_classa.svg'
set title "DBPSK 133 bytes, Middleton Class A (A = 0.1, Gamma = 0.01)"
plot for [i=0:*] dir.'/per_classa.dat' index i using 1:($4 > 0 ? $4 : 1/0) \
     with linespoints lc (i+1) pt (i+1) ps 0.6 title columnheader(1), \
     0.1 with lines dt 2 lc rgb "gray" notitle, 0.01 with lines dt 2 lc rgb "gray" notitle
