#!/usr/bin/env bash
# Decode speed of one 1B-shaped Q8_0 model: single node (2 threads) vs PP=2 and TP=2 (2 workers x 1 thread), loopback.
# Usage: bench/cluster-decode.sh [MODEL.gguf] [OUT_DIR]; prints nothing, writes OUT_DIR/{single,c-2-1,c-1-2}.json (bench-serve)
# and each cluster's worker metrics (c-PP-TP.wN.metrics).
set -euo pipefail
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}; export PATH="$JAVA_HOME/bin:$PATH"
cd "$(dirname "${BASH_SOURCE[0]}")/.."
M=${1:-/tmp/llama-3.2-1b-Q8_0.gguf}
[ -f $M ] || bin/strata synth -o $M --preset llama-3.2-1b --type Q8_0
OUT=${2:-/tmp/bench-out}; mkdir -p $OUT
bench() { bin/strata bench-serve "$1" --concurrency 1 --max-tokens 32 --requests 4 --warmup-rounds 2 --json; }
# single node
bin/strata serve $M --parallel 1 --ctx-size 256 --threads 2 --port 18085 > $OUT/single.log 2>&1 &
S=$!; until curl -sf 127.0.0.1:18085/health >/dev/null; do sleep 1; done
bench http://127.0.0.1:18085 > $OUT/single.json; kill $S; wait $S || true
for layout in "2 1" "1 2"; do
  set -- $layout; pp=$1; tp=$2
  cat > $OUT/c-$pp-$tp.yaml <<Y
cluster_name: bench-$pp-$tp
hazelcast:
  seed_members:
    - host: 127.0.0.1
      port: 25701
coordinators:
  - name: coord-1
    host: 127.0.0.1
    http_port: 28080
    hazelcast_port: 25701
workers:
  - name: w1
    host: 127.0.0.1
    aeron_port: 41201
    http_port: 29101
    memory: 4GiB
    threads: 1
    backend: cpu
  - name: w2
    host: 127.0.0.1
    aeron_port: 41202
    http_port: 29102
    memory: 4GiB
    threads: 1
    backend: cpu
model: $M
context_length: 256
slots: 1
pipeline_parallel: $pp
tensor_parallel: $tp
Y
  bin/strata cluster up --config $OUT/c-$pp-$tp.yaml > $OUT/c-$pp-$tp.out 2> $OUT/c-$pp-$tp.log &
  C=$!; until curl -sf 127.0.0.1:28080/ready >/dev/null; do sleep 1; done
  bench http://127.0.0.1:28080 > $OUT/c-$pp-$tp.json
  curl -s 127.0.0.1:29101/metrics > $OUT/c-$pp-$tp.w1.metrics; curl -s 127.0.0.1:29102/metrics > $OUT/c-$pp-$tp.w2.metrics
  kill $C; wait $C || true
done
uptime
