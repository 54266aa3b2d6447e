# Sourced by ./mvnw and ./veil: points JAVA_HOME at a JDK 25 or newer (Veil uses the Vector API and FFM),
# searching the system's JVM directory when the current JAVA_HOME is missing or older.
veil_jdk_major() { sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null; }
veil_jdk_ok() { m=$(veil_jdk_major "$1"); [ -n "$m" ] && [ "$m" -ge 25 ]; }
if [ -z "${JAVA_HOME:-}" ] || ! veil_jdk_ok "$JAVA_HOME"; then
  veil_flags=$-; set +f   # callers may run with globbing off (mvnw uses set -f)
  for veil_jdk in /usr/lib/jvm/* /opt/java/* /usr/local/lib/jvm/*; do
    if [ -d "$veil_jdk" ] && veil_jdk_ok "$veil_jdk"; then JAVA_HOME=$veil_jdk; fi
  done
  case $veil_flags in *f*) set -f ;; esac
  if ! veil_jdk_ok "${JAVA_HOME:-/nonexistent}"; then
    echo "veil: no JDK 25 or newer found (looked in /usr/lib/jvm); install one, e.g. Temurin 25, or set JAVA_HOME" >&2
    exit 1
  fi
  export JAVA_HOME
fi
