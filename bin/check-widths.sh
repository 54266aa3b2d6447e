#!/usr/bin/env bash
# The same greedy text at every vector width: `veil generate` on Q4_0, Q8_0, Q4_K and Q6_K models made by
# `veil make-model`, plain and `--scheme remo --numeric exact`, at the default width and with -XX:MaxVectorSize=16
# (128 bits, as NEON) and =32 (256 bits), and on x86 with -XX:UseAVX=2 (256 bits as an AVX2 host has them, without
# AVX-512's instructions). Prints one line per run and exits non-zero if any text differs from the default's.
# Usage: bin/check-widths.sh [DIR]   (models are written to DIR, default a temporary directory, and reused)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$(mktemp -d)}
mkdir -p "$dir"
status=0
widths="-XX:MaxVectorSize=16 -XX:MaxVectorSize=32"
case $(uname -m) in x86_64|amd64) widths="$widths -XX:UseAVX=2" ;; esac
for type in Q4_0 Q8_0 Q4_K Q6_K; do
  model="$dir/widths-$type.gguf"
  [ -f "$model" ] || "$root/veil" make-model --shape tiny-llama --dim 512 --hidden 1536 --layers 4 --heads 8 --kv-heads 2 \
    --type "$type" --out "$model" >/dev/null
  for scheme in "--scheme plain" "--scheme remo --numeric exact"; do
    run() { VEIL_JAVA_OPTS="$1" "$root/veil" generate --model "$model" --prompt "Once upon a time" --max-tokens 40 $scheme 2>/dev/null; }
    reference=$(run "")
    for opts in $widths; do
      text=$(run "$opts")
      if [ "$text" = "$reference" ]; then verdict=same; else verdict=DIFFERENT; status=1; fi
      echo "$type $scheme $opts: $verdict ($(printf %s "$text" | wc -c) bytes)"
    done
  done
done
exit $status
