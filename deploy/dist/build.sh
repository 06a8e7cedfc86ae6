#!/usr/bin/env bash
# Builds the self-contained distribution target/sluice-VERSION-linux-ARCH.tar.gz: the shaded jar,
# a launcher and a Java runtime made by jlink from the JDK that runs the build, holding only the
# modules the gateway uses. The build runs it in the pre-integration-test phase (./mvnw verify,
# ./test), not in package, so ./sluice's everyday build does not wait for jdeps and jlink.
# Usage: deploy/dist/build.sh JAVA_HOME SHADED_JAR VERSION TARGET_DIR
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 JAVA_HOME SHADED_JAR VERSION TARGET_DIR" >&2; exit 2; }
java_home="$1" jar="$2" version="$3" target="$4"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

case "$(uname -m)" in
  x86_64|amd64) arch=x64 ;;
  aarch64|arm64) arch=aarch64 ;;
  *) echo "build.sh: no distribution for $(uname -m) (the jar carries native epoll for x86_64 and aarch64 only)" >&2; exit 1 ;;
esac
name="sluice-$version-linux-$arch"
work="$target/dist"
rm -rf "$work" "$target/$name.tar.gz"
mkdir -p "$work/$name/bin" "$work/$name/lib"

# The modules the classes refer to, as jdeps reads them, for the release of the JDK that links.
feature="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$java_home/release")"
found="$("$java_home/bin/jdeps" --print-module-deps --ignore-missing-deps --multi-release "$feature" "$jar")"
# Left out: java.desktop, which jdeps finds only through java.beans types named by code the
# gateway never runs (Jackson's optional java.beans support, Micrometer's Log4j2 binder).
modules="$(tr ',' '\n' <<< "$found" | grep -vx 'java.desktop' | paste -sd, -)"
# Added: modules loaded by name or by service lookup, which jdeps cannot see.
#   jdk.crypto.ec  the EC provider (ES256/384/512 keys, TLS) on JDK 21; part of java.base from 22 on
#   jdk.jcmd       jcmd and jstack in runtime/bin, for thread dumps and flight recordings in production
available="$("$java_home/bin/java" --list-modules | sed 's/@.*//')"
for m in jdk.crypto.ec jdk.jcmd; do
  grep -qx "$m" <<< "$available" && modules="$modules,$m"
done

"$java_home/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --compress=zip-6 --output "$work/$name/runtime"

cp "$jar" "$work/$name/lib/sluice.jar"
install -m 0755 "$here/sluice" "$work/$name/bin/sluice"
install -m 0755 "$here/healthcheck" "$work/$name/bin/healthcheck"
cp "$root/LICENSE" "$root/README.md" "$root/CHANGELOG.md" "$work/$name/"
mkdir -p "$work/$name/deploy"
cp -r "$root/deploy/systemd" "$root/deploy/nginx" "$root/deploy/prometheus" "$root/deploy/grafana" "$work/$name/deploy/"
echo "$modules" > "$work/$name/runtime/MODULES"

tar -C "$work" --owner=0 --group=0 --numeric-owner -czf "$target/$name.tar.gz" "$name"
echo "build.sh: $target/$name.tar.gz (runtime modules: $modules)"
