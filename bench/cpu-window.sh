#!/usr/bin/env bash
# Gateway CPU per delivery, split into user and kernel time, and system calls per delivery, read
# straight from /proc/PID/stat and the gateway's /metrics (without a timeout) over two windows of
# a broadcast run (10,000 subscribers at 10/s), so the figure survives a machine so loaded that
# the bench's own /metrics reads time out. Needs perf for the system-call count (skipped without).
# Usage: bench/cpu-window.sh IO TAG [gateway flags...]   e.g. bench/cpu-window.sh io_uring uring-1
#        (results in bench-results/TAG.counts, .stat, .txt; run cases alternately and compare)
set -uo pipefail
io=$1; tag=$2; shift 2
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
. "$here/.ci/find-jdk.sh"
[ -f target/sluice.jar ] || ./mvnw -q -B -DskipTests package
d="$here/bench-results"; mkdir -p "$d"
secret="bench-secret-0123456789-abcdefghijklmnopqrstuv"
port="${PORT:-8080}"; url="http://127.0.0.1:$port"
if curl -sf "$url/healthz" >/dev/null 2>&1; then echo "something already answers on $url" >&2; exit 1; fi
./sluice serve --anonymous --listen "127.0.0.1:$port" --publisher-jwt-key "$secret" --io "$io" "$@" >"$d/$tag.gw.log" 2>&1 &
gw=$!
trap 'kill $gw 2>/dev/null; wait $gw 2>/dev/null' EXIT
for _ in $(seq 600); do curl -sf "$url/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
"$JAVA_HOME/bin/java" -Xmx2g -XX:+UseParallelGC --enable-native-access=ALL-UNNAMED -jar target/sluice.jar \
  bench --url "$url" --secret "$secret" --gateway-pid "$gw" --scenario broadcast --subscribers 10000 --rate 10 \
  --source-addresses 2 --duration 20s --json "$d/$tag.json" >"$d/$tag.txt" 2>&1 &
b=$!
for _ in $(seq 120); do   # all subscribers in, then into the warm-up
  n=$(curl -s -m 5 "$url/metrics" | awk '/^sluice_subscribers /{print int($2)}')
  [ "${n:-0}" -ge 9990 ] && break; sleep 1
done
sleep 8
m() { curl -s "$url/metrics" | awk '/^sluice_deliveries_total/{s+=$2} END{printf "%d\n", s}'; }
st() { awk '{print $14, $15}' "/proc/$gw/stat"; }   # utime, stime in clock ticks (1/100 s)
echo "deliv0 $(m) stat0 $(st) busy0 $(head -1 /proc/stat)" >"$d/$tag.counts"
if command -v perf >/dev/null; then
  perf stat -e 'raw_syscalls:sys_enter,syscalls:sys_enter_io_uring_enter,syscalls:sys_enter_sendto,syscalls:sys_enter_writev' \
    -p "$gw" -o "$d/$tag.stat" -- sleep 5
else
  sleep 5
fi
echo "deliv1 $(m) stat1 $(st) busy1 $(head -1 /proc/stat)" >>"$d/$tag.counts"
sleep 6
echo "deliv2 $(m) stat2 $(st) busy2 $(head -1 /proc/stat)" >>"$d/$tag.counts"
wait $b
python3 - "$d/$tag.counts" <<'PY'
import re, sys
v = []
for line in open(sys.argv[1]):
    m = re.match(r'deliv\d (\d+) stat\d (\d+) (\d+) busy\d cpu\s+(.*)', line)
    x = list(map(int, m.group(4).split()))
    v.append((int(m.group(1)), int(m.group(2)), int(m.group(3)), sum(x[:8]) - x[3] - x[4], sum(x[:8])))
d = v[2][0] - v[0][0]; u = (v[2][1] - v[0][1]) / 100; s = (v[2][2] - v[0][2]) / 100
busy = 100 * (v[2][3] - v[0][3]) / max(1, v[2][4] - v[0][4])
print(f"{d} deliveries in 11 s: CPU per delivery {1e6*(u+s)/max(1,d):.1f} us (user {1e6*u/max(1,d):.1f} /"
      f" kernel {1e6*s/max(1,d):.1f}); machine busy {busy:.0f}%")
PY
