#!/usr/bin/env bash
# The strata bench figures of BENCHMARKS.md: writes the Llama-3.2-1B-shaped random-weight models (once; 0.7-1.3 GB
# each, about half a minute apiece), runs `strata bench` on each with each thread count, keeps the JSON beside the
# models, and prints one Markdown table row per run, ready to paste.
#
# usage: bench/bench-1b.sh [DIR] [THREAD_COUNTS] [strata bench options...]
#        e.g. bench/bench-1b.sh /tmp "1 2"                                 (128 prompt tokens, 64 decode steps)
#             bench/bench-1b.sh /tmp "1 2" --prompt-tokens 16 --gen-tokens 8
# Rows only: bench/bench-1b.sh --rows FILE.json...
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

rows() {
  # file | threads | decode tok/s | prefill tok/s | prompt/gen | weights MiB/token | read GB/s | bound tok/s | fraction
  jq -r '"| \(.model) | \(.threads) | \(.decode_tokens_per_s * 100 | round / 100) | \(.prefill_tokens_per_s * 100 | round / 100)"
         + " | \(.prompt_tokens)/\(.gen_tokens) | \(.bytes_per_token / 1048576 | round) | \(.bandwidth_bytes_per_s / 1e8 | round / 10)"
         + " | \(.decode_bound_tokens_per_s * 10 | round / 10) | \(.decode_bound_fraction * 1000 | round / 10)% |"' "$@"
}
if [ "${1:-}" = "--rows" ]; then
  shift
  rows "$@"
  exit 0
fi

DIR=${1:-/tmp}
THREADS=${2:-"1 2"}
shift $(( $# < 2 ? $# : 2 ))
OUT=()
for type in Q8_0 Q4_0 Q4_K_M; do
  model="$DIR/llama-3.2-1b-$type.gguf"
  [ -f "$model" ] || "$ROOT/bin/strata" synth -o "$model" --preset llama-3.2-1b --type "$type"
  for t in $THREADS; do
    json="$DIR/bench-llama-3.2-1b-$type-t$t.json"
    "$ROOT/bin/strata" bench "$model" --threads "$t" --json "$@" > "$json"
    rows "$json"
    OUT+=("$json")
  done
done
echo "# all rows:"
rows "${OUT[@]}"
