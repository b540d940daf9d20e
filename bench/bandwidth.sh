#!/usr/bin/env bash
# Memory bandwidth, C against Java: compiles bench/src/main/c/triad.c (gcc -O3 -march=native -fopenmp) and runs
# it alternately with io.strata.kernels.cpu.BandwidthProbe, the same kernels and sizes, for each thread count.
# Alternating rounds matter on a shared machine: neighbours' load moves both figures by 15-40% between runs, so
# only figures from one run compare. Ends with the best of all rounds per implementation, kernel and threads.
#
# usage: bench/bandwidth.sh [ROUNDS] [THREAD_COUNTS] [MIB_PER_ARRAY] [PASSES]
#        e.g. bench/bandwidth.sh 3 "1 2" 256 10
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=${1:-3}
THREADS=${2:-"1 2"}
MIB=${3:-256}
PASSES=${4:-10}
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}

mkdir -p "$ROOT/bench/target"
TRIAD="$ROOT/bench/target/triad"
if [ ! -x "$TRIAD" ] || [ "$ROOT/bench/src/main/c/triad.c" -nt "$TRIAD" ]; then
  gcc -O3 -march=native -fopenmp -o "$TRIAD" "$ROOT/bench/src/main/c/triad.c"
fi
if [ ! -f "$ROOT/kernels/target/classes/io/strata/kernels/cpu/BandwidthProbe.class" ]; then
  (cd "$ROOT" && ./mvnw -q -B -DskipTests -pl kernels -am install 1>&2)
fi
FLAGS=$(sed -n 's:.*<strata.jvm.flags>\(.*\)</strata.jvm.flags>.*:\1:p' "$ROOT/pom.xml")
CP="$ROOT/kernels/target/classes:$ROOT/model/target/classes"

echo "# $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores, gcc $(gcc -dumpfullversion), $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
echo "# $MIB MiB per array, best of $PASSES passes; triad counts 3 x 4 bytes per element, read 4 bytes"
LOG=$(mktemp)
for round in $(seq 1 "$ROUNDS"); do
  for t in $THREADS; do
    OMP_NUM_THREADS=$t OMP_PROC_BIND=false "$TRIAD" "$MIB" "$PASSES" 2>/dev/null | tee -a "$LOG"
    # shellcheck disable=SC2086
    "$JAVA_HOME/bin/java" $FLAGS -cp "$CP" io.strata.kernels.cpu.BandwidthProbe "$t" "$MIB" "$PASSES" 2>/dev/null | tee -a "$LOG"
  done
done
echo "# best over $ROUNDS rounds (GB/s):"
awk '{ split($5, b, "="); key = $1 " " $2 " " $3; if (b[2] + 0 > best[key]) best[key] = b[2] + 0 }
     END { for (k in best) printf "%-22s %6.2f\n", k, best[k] }' "$LOG" | sort -k3,3 -k2,2 -k1,1
rm -f "$LOG"
