# Sourced by ./sluice, ./test and .ci/run: sets JAVA_HOME to a JDK 21 or newer, or stops with a
# message that says what was found and what to do. Looks at JAVA_HOME, then the java on PATH,
# then the usual install folders (SLUICE_JDK_DIRS, if set, replaces those folders).
sluice_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | head -n 1
}
# A JDK 21+ package this machine's apt can install, if any (Debian 12 has none: its newest is 17).
sluice_packaged_jdk() {
  command -v apt-cache >/dev/null 2>&1 || return 1
  local n candidate
  for n in 25 21 26 27 28 29 30 24 23 22; do
    candidate="$(apt-cache policy "openjdk-$n-jdk-headless" 2>/dev/null | sed -n 's/^ *Candidate: //p')"
    if [ -n "$candidate" ] && [ "$candidate" != "(none)" ]; then
      echo "openjdk-$n-jdk-headless"
      return 0
    fi
  done
  return 1
}
sluice_find_jdk() {
  local candidates=() origins=() rejected=()
  if [ -n "${JAVA_HOME:-}" ]; then candidates+=("$JAVA_HOME"); origins+=("JAVA_HOME"); fi
  if command -v java >/dev/null 2>&1; then
    candidates+=("$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")"); origins+=("the java on PATH")
  fi
  local dirs d
  if [ -n "${SLUICE_JDK_DIRS:-}" ]; then
    read -r -a dirs <<< "$SLUICE_JDK_DIRS"
  else
    dirs=(/usr/lib/jvm/* /opt/java/* /opt/jdk* "$HOME"/.sdkman/candidates/java/*)
  fi
  for d in "${dirs[@]}"; do
    [ -d "$d" ] && { candidates+=("$d"); origins+=("found in $(dirname "$d")"); }
  done
  local i c v user_home="${JAVA_HOME:-}"
  for i in "${!candidates[@]}"; do
    c="${candidates[$i]}"
    if [ ! -x "$c/bin/java" ] || [ ! -x "$c/bin/javac" ]; then
      [ "${origins[$i]}" = JAVA_HOME ] && rejected+=("JAVA_HOME=$c has no bin/java and bin/javac (not a JDK)")
      continue
    fi
    v="$(sluice_java_major "$c")"
    if [ -n "$v" ] && [ "${v%%.*}" -ge 21 ] 2>/dev/null; then
      export JAVA_HOME="$c"
      if [ ${#rejected[@]} -gt 0 ]; then
        echo "sluice: ${rejected[*]}; Sluice needs 21 or newer, so it uses JDK $v at $c (${origins[$i]})." >&2
      fi
      # Maven 3.9 still calls sun.misc.Unsafe, which JDK 24+ warns about on every build.
      if [ "${v%%.*}" -ge 24 ]; then
        export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
      fi
      return 0
    fi
    [ "${origins[$i]}" = JAVA_HOME ] && rejected+=("JAVA_HOME=$c is JDK ${v:-of unknown version}")
  done
  local looked="/usr/lib/jvm, /opt and ~/.sdkman"
  [ -n "${SLUICE_JDK_DIRS:-}" ] && looked="$SLUICE_JDK_DIRS"
  echo "sluice: no JDK 21 or newer found (looked at JAVA_HOME, the java on PATH, $looked)${rejected[*]:+; ${rejected[*]}}." >&2
  local package
  if package="$(sluice_packaged_jdk)"; then
    echo "sluice: install one with 'apt-get install $package', or set JAVA_HOME to a JDK 21 or newer." >&2
  elif command -v apt-cache >/dev/null 2>&1; then
    echo "sluice: apt offers no JDK 21 or newer here (Debian 12's newest is openjdk-17; run 'apt-get update' if the" \
      "package lists are old). Install one from a JDK vendor (e.g. Eclipse Temurin) or use a release that packages" \
      "it (Debian 13, Ubuntu 24.04: apt-get install openjdk-21-jdk-headless), then set JAVA_HOME to its folder." >&2
  else
    echo "sluice: install a JDK 21 or newer (your system's packages or a JDK vendor such as Eclipse Temurin)," \
      "then set JAVA_HOME to its folder." >&2
  fi
  [ -n "$user_home" ] && export JAVA_HOME="$user_home"
  return 1
}
sluice_find_jdk || exit 1
