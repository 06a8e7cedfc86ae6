#!/usr/bin/env bash
# Publish throughput of the redis transport with a partitioned log (BENCHMARKS-cluster.md,
# "Partitions"): 1, 2 and 4 partitions on one redis-server, 2 and 4 partitions on two.
# For each case and run: starts its own redis-server(s) (no persistence, free ports), one gateway
# (./sluice serve --transport redis://… --partitions N [--redis-server …]) with one subscriber
# (curl, a URI template matching every topic), and bench/ClusterPublishLoad.java as a separate process:
# 16 closed-loop publishers, 100-byte updates over 64 topics, 3 s warm-up then WINDOW seconds
# measured (the method of the other cluster figures); then stops all of them. Besides the bench's own report it records the CPU time each
# redis-server spent per acknowledged publish (from /proc), which is what bounds a Redis core.
# Loopback only; every run is bounded (RUNS runs of DURATION each). Usage:
#   bench/partitions.sh              # all cases, 3 runs each, 10 s measured per run
#   RUNS=1 WINDOW=5 bench/partitions.sh "4 2"   # cases as "PARTITIONS SERVERS"
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
. "$here/.ci/find-jdk.sh"
if [ ! -f target/sluice.jar ] || [ -n "$(find src/main pom.xml -newer target/sluice.jar -print -quit)" ]; then
  ./mvnw -q -B -DskipTests package
fi
command -v redis-server >/dev/null || { echo "needs redis-server on PATH" >&2; exit 2; }
out="$here/bench-results/partitions"; mkdir -p "$out"
runs="${RUNS:-3}"; window="${WINDOW:-10}"
secret="bench-secret-0123456789-abcdefghijklmnopqrstuv"
token=$("$JAVA_HOME/bin/java" -jar target/sluice.jar token --secret "$secret" --publish '*')
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
    # The launcher's JVM flags, on the jar built above (no rebuild in the middle of a run).
    "$JAVA_HOME/bin/java" -Xms256m -Xmx1g -XX:+UseParallelGC --enable-native-access=ALL-UNNAMED -jar target/sluice.jar \
      serve --anonymous --listen 127.0.0.1:0 --publisher-jwt-key "$secret" --transport "${urls[0]}" \
      --partitions "$parts" "${extra[@]}" >"$out/$name-gateway.log" 2>&1 &
    gw=$!; pids+=($gw)
    gport=""
    for _ in $(seq 1200); do
      gport=$(grep -oE 'Sluice listening on /127.0.0.1:[0-9]+' "$out/$name-gateway.log" | grep -oE '[0-9]+$' || true)
      [ -n "$gport" ] && break; sleep 0.1
    done
    [ -n "$gport" ] || { echo "gateway did not start: $out/$name-gateway.log" >&2; exit 1; }
    # One subscriber on a template matching every bench topic: the node reads every partition,
    # as a single-stream node reads the whole stream, so the cases compare like with like.
    curl -sN --max-time 120 "http://127.0.0.1:$gport/.well-known/mercure?topic=https%3A%2F%2Fexample.com%2Fbench%2F%7Bn%7D" >/dev/null &
    sub=$!; pids+=($sub)
    sleep 1
    before=(); for p in "${rpids[@]}"; do before+=($(cpu_ticks "$p")); done
    xbefore=(); for u in "${urls[@]}"; do xbefore+=($(xadds "$u")); done
    line=$(timeout 120 "$JAVA_HOME/bin/java" -Xmx512m bench/ClusterPublishLoad.java "$token" 3 "$window" 16 64 \
      "http://127.0.0.1:$gport/.well-known/mercure" | tee "$out/$name.txt")
    after=(); for p in "${rpids[@]}"; do after+=($(cpu_ticks "$p")); done
    xafter=(); for u in "${urls[@]}"; do xafter+=($(xadds "$u")); done
    kill "$sub" 2>/dev/null || true
    field() { sed -n "s/.*$1=\([^ ]*\).*/\1/p" <<<"$line"; }
    # Each redis-server's CPU time over the run (warm-up included), per XADD it took in that
    # time; the gateway's XREADs are included: that is what a Redis core spends per update.
    cpu=""
    for i in "${!rpids[@]}"; do
      us=$(python3 -c "t=($((after[i] - before[i])))/$tck*1e6; n=max(1,${xafter[i]} - ${xbefore[i]}); print('%.1f (%d XADD)' % (t/n, n))")
      cpu+="${cpu:+ / }$us"
    done
    rate_s=$(field rate); lat="$(field p50) / $(field p99)"
    echo "| $parts | $servers | $r | ${busy}% | $rate_s | $lat | $cpu |" | tee -a "$out/summary.md"
    kill "$gw" 2>/dev/null || true; wait "$gw" 2>/dev/null || true
    for p in "${rpids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    pids=()
    sleep 1
  done
done

# The engine alone: how many XADDs (100-byte entries, MAXLEN ~ 10000, 16 clients pipelining 16)
# the redis-servers take, with the partition streams spread over 1 or 2 of them; one
# redis-benchmark process per server, run at the same time, figures summed. No gateway.
if [ "${ENGINE:-1}" = 1 ] && command -v redis-benchmark >/dev/null; then
  echo | tee -a "$out/summary.md"
  echo "| partitions | redis-servers | run | XADD/s (each server) | XADD/s total |" | tee -a "$out/summary.md"
  echo "|---|---|---|---|---|" | tee -a "$out/summary.md"
  payload=$(head -c 100 /dev/zero | tr '\0' x)
  for c in "4 1" "4 2"; do
    read -r parts servers <<<"$c"
    for r in $(seq "$runs"); do
      rpids=(); ports=()
      for s in $(seq "$servers"); do
        port=$(free_port)
        redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no >/dev/null 2>&1 &
        rpids+=($!); pids+=($!); ports+=("$port")
      done
      for p in "${ports[@]}"; do for _ in $(seq 50); do redis-cli -p "$p" ping >/dev/null 2>&1 && break; sleep 0.1; done; done
      bpids=()
      for i in "${!ports[@]}"; do
        # -r spreads the key over this server's share of the partitions.
        timeout 120 redis-benchmark -p "${ports[i]}" -n "${XADDS:-200000}" -c 16 -P 16 -r $((parts / servers)) -q \
          XADD "{bench-p__rand_int__}" MAXLEN "~" 10000 "*" update "$payload" >"$out/engine-p$parts-s$servers-r$r-$i.txt" 2>&1 &
        bpids+=($!)
      done
      for b in "${bpids[@]}"; do wait "$b" || true; done
      each=""; total=0
      for i in "${!ports[@]}"; do
        v=$(tr '\r' '\n' <"$out/engine-p$parts-s$servers-r$r-$i.txt" | grep -oE '[0-9.]+ requests per second' | tail -1 | cut -d' ' -f1)
        each+="${each:+ / }${v:-?}"; total=$(python3 -c "print(int($total + float('${v:-0}')))")
      done
      echo "| $parts | $servers | $r | $each | $total |" | tee -a "$out/summary.md"
      for p in "${rpids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
      pids=()
    done
  done
fi
echo "summary: $out/summary.md"
