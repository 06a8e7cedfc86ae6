#!/usr/bin/env bash
# 100,000 subscribers on one box: starts its own redis-server on a free port, GATEWAYS gateway
# processes on it (--transport redis://...), and one `sluice bench` coordinator that publishes and
# starts WORKERS worker processes holding the subscribers, each from its own slice of the source
# addresses 127.0.0.FIRST_ADDRESS... Runs each case (broadcast at 1/s, topics at 1,000/s over 1,000
# topics), keeps the JSON and text reports in bench-results/cluster100k/, then stops everything it
# started. Loopback only; every step is bounded in time.
#
# Usage: bench/cluster100k.sh                      (the full run: 6 gateways, 100,000 subscribers)
#        GATEWAYS=2 WORKERS=2 SUBSCRIBERS=10000 ADDRESSES=4 bench/cluster100k.sh   (reduced)
#        CASES=broadcast RUNS=3 bench/cluster100k.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
. "$here/.ci/find-jdk.sh"
# Build once here when the jar is missing or older than the sources (six gateways starting the
# launcher at once would each try to build); the gateways then run the jar directly.
if [ ! -f target/sluice.jar ] || [ -n "$(find src/main pom.xml -newer target/sluice.jar -print -quit)" ]; then
  ./mvnw -q -B -DskipTests package
fi

GATEWAYS="${GATEWAYS:-6}"
WORKERS="${WORKERS:-6}"
SUBSCRIBERS="${SUBSCRIBERS:-100000}"
ADDRESSES="${ADDRESSES:-24}"            # 127.0.0.FIRST_ADDRESS .. +ADDRESSES-1, split among the workers
FIRST_ADDRESS="${FIRST_ADDRESS:-101}"
CONNECT_RATE="${CONNECT_RATE:-2000}"     # new connections per second, over all workers
DURATION="${DURATION:-30s}"
WARMUP="${WARMUP:-5s}"
DRAIN="${DRAIN:-30s}"
CASES="${CASES:-broadcast topics}"
RUNS="${RUNS:-1}"
THREADS="${THREADS:-1}"                  # event-loop threads per load process
GATEWAY_JAVA_OPTS="${GATEWAY_JAVA_OPTS:--Xms256m -Xmx1g -XX:+UseParallelGC}"
WORKER_JAVA_OPTS="${WORKER_JAVA_OPTS:--Xms64m -Xmx768m -XX:+UseParallelGC}"
COORDINATOR_JAVA_OPTS="${COORDINATOR_JAVA_OPTS:--Xms64m -Xmx512m -XX:+UseParallelGC}"
secret="bench-secret-0123456789-abcdefghijklmnopqrstuv"
out="$here/bench-results/cluster100k"
mkdir -p "$out"

last=$((FIRST_ADDRESS + ADDRESSES - 1))
if [ "$last" -gt 254 ] || [ "$ADDRESSES" -lt "$WORKERS" ]; then
  echo "need ADDRESSES >= WORKERS and 127.0.0.$FIRST_ADDRESS-127.0.0.$last within 127.0.0.254" >&2; exit 2
fi
per_gateway=$(( (SUBSCRIBERS + GATEWAYS - 1) / GATEWAYS ))
limit=$(ulimit -n)
if [ "$limit" != unlimited ] && [ $((per_gateway + 200)) -gt "$limit" ]; then
  echo "each gateway would hold $per_gateway connections; the open-file limit is $limit: raise GATEWAYS" >&2; exit 2
fi
per_address=$(( (SUBSCRIBERS + ADDRESSES - 1) / ADDRESSES ))
read -r port_lo port_hi < /proc/sys/net/ipv4/ip_local_port_range
if [ "$per_address" -gt $(( (port_hi - port_lo) * 3 / 4 )) ]; then
  echo "$per_address connections per source address is too close to the $((port_hi - port_lo)) ephemeral ports: raise ADDRESSES" >&2
  exit 2
fi

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
started=()
stop_all() {
  local p
  for p in "${started[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${started[@]}"; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null || true
  done
  started=()
}
trap stop_all EXIT
trap 'exit 130' INT TERM

await_http() {  # url, seconds
  local i
  for i in $(seq $(( $2 * 10 ))); do curl -sf "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "no answer from $1 within $2 s" >&2; return 1
}

tmp="$(mktemp -d /tmp/sluice-cluster100k.XXXXXX)"
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$tmp" --save "" --appendonly no --daemonize no \
  --protected-mode no --maxclients 1000 >"$out/redis.log" 2>&1 &
redis_pid=$!
started+=("$redis_pid")
redis_up=""
for _ in $(seq 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$redis_port" && printf 'PING\r\n' >&3 && head -c 5 <&3 | grep -q PONG) 2>/dev/null; then
    redis_up=1; break
  fi
  sleep 0.1
done
[ -n "$redis_up" ] || { echo "redis-server did not start on port $redis_port: see $out/redis.log" >&2; exit 1; }

one() {  # case, run
  local c=$1 r=$2 i port targets="" gateway_pids=()
  for i in $(seq "$GATEWAYS"); do
    # Port 0: the kernel picks a free port (a port looked up beforehand may be taken by another
    # program in between); the gateway prints the one it got.
    # shellcheck disable=SC2086
    "$JAVA_HOME/bin/java" $GATEWAY_JAVA_OPTS --enable-native-access=ALL-UNNAMED -XX:+IgnoreUnrecognizedVMOptions \
      -jar target/sluice.jar serve --anonymous --listen "127.0.0.1:0" \
      --publisher-jwt-key "$secret" --transport "redis://127.0.0.1:$redis_port" --redis-stream "sluice:bench:$c:$r" \
      >"$out/gateway-$c-$r-$i.log" 2>&1 &
    gateway_pids+=($!)
    started+=($!)
  done
  for i in $(seq "$GATEWAYS"); do
    port=""
    for _ in $(seq 1200); do
      port=$(sed -n 's/^Sluice listening on .*:\([0-9][0-9]*\) .*/\1/p' "$out/gateway-$c-$r-$i.log" | head -n 1)
      [ -n "$port" ] && break
      kill -0 "${gateway_pids[$((i - 1))]}" 2>/dev/null || break
      sleep 0.1
    done
    if [ -z "$port" ]; then echo "gateway $i did not start: see $out/gateway-$c-$r-$i.log" >&2; exit 1; fi
    targets="${targets:+$targets,}http://127.0.0.1:$port"
  done
  for t in ${targets//,/ }; do await_http "$t/healthz" 60; done
  local flags=()
  case $c in
    broadcast) flags=(--scenario broadcast --rate 1) ;;
    # Each topic is published on one connection (in order). 16 per gateway: the bench keeps at
    # most 100 publishes unanswered per connection (the gateway closes one with more than 128
    # pipelined), so 1,000/s needs many connections when acknowledgements take a second or more.
    topics)    flags=(--scenario topics --topics 1000 --rate 1000 --publish-connections $((GATEWAYS * 16))) ;;
    *) echo "unknown case $c" >&2; exit 2 ;;
  esac
  # Connecting may take several times longer than SUBSCRIBERS / CONNECT_RATE on a busy machine.
  local connect_s=$(( SUBSCRIBERS / CONNECT_RATE + 1 ))
  local bench_limit=$(( connect_s * 4 + ${WARMUP%s} + ${DURATION%s} + ${DRAIN%s} + 120 ))
  local secs=$(( bench_limit + 90 ))
  echo "== $c run $r: $GATEWAYS gateways, $WORKERS workers, $SUBSCRIBERS subscribers (limit ${secs}s); load avg $(cut -d' ' -f1 /proc/loadavg)"
  # shellcheck disable=SC2086
  timeout --kill-after=20 "$secs" "$JAVA_HOME/bin/java" $COORDINATOR_JAVA_OPTS --enable-native-access=ALL-UNNAMED \
    -jar target/sluice.jar bench "${flags[@]}" --targets "$targets" --workers "$WORKERS" \
    --worker-java-options "$WORKER_JAVA_OPTS" --subscribers "$SUBSCRIBERS" \
    --source-addresses "127.0.0.$FIRST_ADDRESS-127.0.0.$last" --connect-rate "$CONNECT_RATE" --threads "$THREADS" \
    --warmup "$WARMUP" --duration "$DURATION" --drain "$DRAIN" --time-limit "${bench_limit}s" --secret "$secret" \
    --json "$out/$c-$r.json" | tee "$out/$c-$r.txt" || echo "bench exited with status $?" | tee -a "$out/$c-$r.txt"
  # Each gateway's counters after the run (dispatch overflows, log gaps, slow disconnects), so a
  # loss can be traced to a gateway and a cause.
  i=0
  for t in ${targets//,/ }; do
    i=$((i + 1))
    curl -s --max-time 20 "$t/metrics" >"$out/metrics-$c-$r-$i.txt" || echo "gateway $i: /metrics not read" >&2
  done
  grep -h -E '^sluice_(transport_log_gaps|dispatch_overflows|dispatch_gaps|replay_gaps|slow_disconnects|deliveries)' "$out"/metrics-"$c"-"$r"-*.txt \
    2>/dev/null | awk '{s[$1]+=$2} END {for (k in s) printf "  %s (sum over gateways) %.0f\n", k, s[k]}' | tee -a "$out/$c-$r.txt" || true
  for i in "${gateway_pids[@]}"; do kill "$i" 2>/dev/null || true; done
  for i in "${gateway_pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$i" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$i" 2>/dev/null || true
  done
  sleep 2
}

for c in $CASES; do for r in $(seq "$RUNS"); do one "$c" "$r"; done; done
redis_cpu=$(awk '{print ($14 + $15) / 100}' "/proc/$redis_pid/stat" 2>/dev/null || echo n/a)
echo "redis-server CPU over the whole script: ${redis_cpu} s" | tee "$out/redis-cpu.txt"
stop_all
rm -rf "$tmp"
