#!/usr/bin/env bash
# Rebuilds the trusted node jar (veil-node.jar) from a git commit, in a temporary worktree, and prints its code
# measurement (hex): what /v1/attestation reports for a node running that jar (--attestation simulated), and what a
# client's policy names (measurement = HEX). The build is reproducible (project.build.outputTimestamp), so the same
# commit gives the same bytes anywhere. Usage: bin/rebuild-node.sh [COMMIT] (default: HEAD); extra Maven options in
# VEIL_MVN_OPTS (e.g. -o). The jar stays at $VEIL_REBUILT_JAR when that is set.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
commit=${1:-HEAD}
. "$root/bin/jdk.sh"
git -C "$root" rev-parse --verify --quiet "$commit^{commit}" >/dev/null || { echo "rebuild-node: no commit '$commit'" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$tmp/src" >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
git -C "$root" worktree add --quiet --detach "$tmp/src" "$commit"
echo "rebuild-node: building veil-node.jar from $(git -C "$tmp/src" rev-parse HEAD) in $tmp/src" >&2
(cd "$tmp/src" && ./mvnw -q -B ${VEIL_MVN_OPTS:-} package -DskipTests -pl veil-node-cli -am >&2) \
  || { echo "rebuild-node: the build failed" >&2; exit 1; }
jar="$tmp/src/veil-node-cli/target/veil-node.jar"
[ -n "${VEIL_REBUILT_JAR:-}" ] && cp "$jar" "$VEIL_REBUILT_JAR"
"$JAVA_HOME/bin/java" --add-modules jdk.incubator.vector -jar "$jar" measure "$jar" 2> >(grep -v 'WARNING: Using incubator modules' >&2)
