#!/usr/bin/env bash
# Publish throughput of the redis transport with a partitioned log (BENCHMARKS-cluster.md,
# "Partitions"): 1, 2 and 4 partitions on one redis-server, 2 and 4 partitions on two.
# For each case and run: starts its own redis-server(s) (no persistence, free ports), one gateway
# (./sluice serve --transport redis://… --partitions N [--redis-server …]), and a publish-heavy
# `sluice bench` against it as a separate process (16 publish connections, 64 topics, one
# subscriber), then stops all of them. Besides the bench's own report it records the CPU time each
# redis-server spent per acknowledged publish (from /proc), which is what bounds a Redis core.
# Loopback only; every run is bounded (RUNS runs of DURATION each). Usage:
#   bench/partitions.sh              # all cases, 3 runs each, 10 s measured per run
#   RUNS=1 DURATION=5s RATE=20000 bench/partitions.sh "4 2"   # cases as "PARTITIONS SERVERS"
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
. "$here/.ci/find-jdk.sh"
[ -f target/sluice.jar ] || ./mvnw -q -B -DskipTests package
command -v redis-server >/dev/null || { echo "needs redis-server on PATH" >&2; exit 2; }
out="$here/bench-results/partitions"; mkdir -p "$out"
runs="${RUNS:-3}"; duration="${DURATION:-10s}"; rate="${RATE:-20000}"
secret="bench-secret-0123456789-abcdefghijklmnopqrstuv"
tck=$(getconf CLK_TCK)
cases=("$@"); [ ${#cases[@]} -gt 0 ] || cases=("1 1" "2 1" "4 1" "2 2" "4 2")

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # utime + stime of a process
xadds() { redis-cli -u "$1" info commandstats | tr -d '\r' | sed -n 's/^cmdstat_xadd:calls=\([0-9]*\),.*/\1/p' | grep . || echo 0; }
busy_pct() {  # share of the machine's CPU busy over 2 s
  local a b total=0 idle i
  a=($(head -1 /proc/stat)); sleep 2; b=($(head -1 /proc/stat))
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  idle=$((b[4] - a[4] + b[5] - a[5]))
  echo $(( (total - idle) * 100 / (total > 0 ? total : 1) ))
}

echo "| partitions | redis-servers | run | machine busy before | acked publishes/s | ack p50 / p99 ms | redis CPU µs per XADD (each server) |" | tee "$out/summary.md"
echo "|---|---|---|---|---|---|---|" | tee -a "$out/summary.md"
for c in "${cases[@]}"; do
  read -r parts servers <<<"$c"
  for r in $(seq "$runs"); do
    name="p${parts}-s${servers}-r${r}"
    rpids=(); urls=()
    for s in $(seq "$servers"); do
      port=$(free_port)
      redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no >"$out/$name-redis$s.log" 2>&1 &
      rpids+=($!); pids+=($!); urls+=("redis://127.0.0.1:$port")
    done
    for u in "${urls[@]}"; do
      for _ in $(seq 50); do redis-cli -u "$u" ping >/dev/null 2>&1 && break; sleep 0.1; done
    done
    extra=()
    for u in "${urls[@]:1}"; do extra+=(--redis-server "$u"); done
    busy=$(busy_pct)
    ./sluice serve --anonymous --listen 127.0.0.1:0 --publisher-jwt-key "$secret" --transport "${urls[0]}" \
      --partitions "$parts" "${extra[@]}" >"$out/$name-gateway.log" 2>&1 &
    gw=$!; pids+=($gw)
    gport=""
    for _ in $(seq 600); do
      gport=$(grep -oE 'Sluice listening on /127.0.0.1:[0-9]+' "$out/$name-gateway.log" | grep -oE '[0-9]+$' || true)
      [ -n "$gport" ] && break; sleep 0.1
    done
    [ -n "$gport" ] || { echo "gateway did not start: $out/$name-gateway.log" >&2; exit 1; }
    before=(); for p in "${rpids[@]}"; do before+=($(cpu_ticks "$p")); done
    xbefore=(); for u in "${urls[@]}"; do xbefore+=($(xadds "$u")); done
    timeout 120 "$JAVA_HOME/bin/java" -Xmx1g -XX:+UseParallelGC --enable-native-access=ALL-UNNAMED -jar target/sluice.jar \
      bench --url "http://127.0.0.1:$gport" --secret "$secret" --gateway-pid "$gw" --scenario topics --topics 64 \
      --subscribers 1 --rate "$rate" --publish-connections 16 --warmup 3s --duration "$duration" --drain 3s \
      --json "$out/$name.json" >"$out/$name.txt" 2>&1 || true
    after=(); for p in "${rpids[@]}"; do after+=($(cpu_ticks "$p")); done
    xafter=(); for u in "${urls[@]}"; do xafter+=($(xadds "$u")); done
    acked=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); p=d["publishes"]; print(p["acknowledged"])' "$out/$name.json" 2>/dev/null || echo 0)
    secs=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["setup"]["durationSeconds"])' "$out/$name.json" 2>/dev/null || echo 0)
    lat=$(python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["publishes"]; print("%.2f / %.2f" % (p["ackP50"], p["ackP99"]))' "$out/$name.json" 2>/dev/null || echo "-")
    # Each redis-server's CPU time over the whole bench, per XADD it took in that time (the reads
    # of the gateway's tail are included: that is what a Redis core spends per update).
    cpu=""
    for i in "${!rpids[@]}"; do
      us=$(python3 -c "t=($((after[i] - before[i])))/$tck*1e6; n=max(1,${xafter[i]} - ${xbefore[i]}); print('%.1f (%d XADD)' % (t/n, n))")
      cpu+="${cpu:+ / }$us"
    done
    rate_s=$(python3 -c "s=float('$secs' or 0); print('%.0f' % ($acked/s) if s > 0 else '$acked in $duration')")
    echo "| $parts | $servers | $r | ${busy}% | $rate_s | $lat | $cpu |" | tee -a "$out/summary.md"
    kill "$gw" 2>/dev/null || true; wait "$gw" 2>/dev/null || true
    for p in "${rpids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    pids=()
    sleep 1
  done
done
echo "summary: $out/summary.md"
