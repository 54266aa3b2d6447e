#!/usr/bin/env bash
# Builds the JMH kernel benchmarks (veil-bench) and runs them; arguments go to JMH, e.g.
#   bin/jmh.sh MatmulBenchmark.matvec -p type=Q4_0,Q8_0      (bin/jmh.sh -h lists JMH's options)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bin/jdk.sh"
(cd "$root" && ./mvnw -q -B -pl veil-bench -am -DskipTests package >&2)
exec "$JAVA_HOME/bin/java" -jar "$root/veil-bench/target/benchmarks.jar" "$@"
