#!/usr/bin/env bash
# Decode and prefill tokens/s of one model at 1, 2, 4, 8 and 16 kernel threads (-Dveil.threads), one `veil bench`
# per thread count, and each rate as a ratio to the 1-thread rate of the same run. Meant for a machine with that
# many cores to itself; on a shared one read the "per CPU-second" column of bench's own output instead.
# Usage: bin/scaling.sh JAR MODEL [THREADS...]   e.g. bin/scaling.sh veil-cli/target/veil.jar /tmp/llama1b-q4_0.gguf
# Environment: BENCH_ARGS (default "-p 128 -n 32 -r 2 --bandwidth-mib 256"), VEIL_JAVA_OPTS (added to java's options).
set -eu
[ $# -ge 2 ] || { echo "usage: bin/scaling.sh JAR MODEL [THREADS...]" >&2; exit 2; }
jar=$1 model=$2; shift 2
threads=${*:-1 2 4 8 16}
. "$(dirname "$0")/jdk.sh"
echo "threads  prefill t/s  x(1 thread)  decode t/s  x(1 thread)   ($(nproc) processors, $(basename "$model"))"
pp1="" tg1=""
for t in $threads; do
  out=$("$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xmn32m \
    -Dveil.threads="$t" ${VEIL_JAVA_OPTS:-} -jar "$jar" bench plain --model "$model" ${BENCH_ARGS:--p 128 -n 32 -r 2 --bandwidth-mib 256} 2>&1) \
    || { echo "bench at $t threads failed: $(printf %s "$out" | tail -n 1)" >&2; exit 1; }
  pp=$(printf '%s\n' "$out" | awk '/^pp[0-9]/ {print $2; exit}')
  tg=$(printf '%s\n' "$out" | awk '/^tg[0-9]/ {print $2; exit}')
  pp1=${pp1:-$pp} tg1=${tg1:-$tg}
  awk -v t="$t" -v pp="${pp:-0}" -v tg="${tg:-0}" -v pp1="${pp1:-0}" -v tg1="${tg1:-0}" 'BEGIN {
    printf "%7d  %11.2f  %10.2fx  %10.2f  %10.2fx\n", t, pp, (pp1 > 0 ? pp / pp1 : 0), tg, (tg1 > 0 ? tg / tg1 : 0) }'
done
