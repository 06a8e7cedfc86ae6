#!/usr/bin/env bash
# Publish throughput of one node on the memory, Redis and NATS transports, side by side
# (BENCHMARKS-cluster.md, "Publish path"). Starts its own redis-server and nats-server on free
# ports, then for every run and publisher count a fresh gateway process per transport, in the
# order memory, redis, nats, memory, ...; the load is bench/PublishLoad.java (closed loop:
# keep-alive connections, each waits for its 200 before the next update, no subscribers).
# Everything is bounded and killed at the end.
#
# Usage: bench/publish-path.sh                  (RUNS=3 PUBLISHERS="16 64" WARMUP=3 WINDOW=5)
#        TRANSPORTS="memory redis" RUNS=1 bench/publish-path.sh
#        JFR=1 ...   records a JFR profile (settings=profile) of every gateway into the output folder
#        JARS="before=/tmp/old.jar after=target/sluice.jar" ...   compares builds, interleaved run by run
# Needs redis-server and nats-server (with JetStream) on PATH. Results: bench-results/publish-path/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
. "$here/.ci/find-jdk.sh"
[ -f target/sluice.jar ] || ./mvnw -q -B -DskipTests package
jars="${JARS:-this=target/sluice.jar}"
runs="${RUNS:-3}"
publishers="${PUBLISHERS:-16 64}"
transports="${TRANSPORTS:-memory redis nats}"
warmup="${WARMUP:-3}"
window="${WINDOW:-5}"
out="${OUT:-$here/bench-results/publish-path}"
mkdir -p "$out"
secret="bench-secret-0123456789-abcdefghijklmnopqrstuv"
tmp="$(mktemp -d)"
pids=()

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

wait_port() {  # port, what (at most 2 minutes)
  local i
  for i in $(seq 1200); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$2 did not start on port $1" >&2
  return 1
}

ctx() {  # voluntary context switches of all threads of a process
  awk '/^voluntary_ctxt_switches/ {s += $2} END {print s + 0}' /proc/"$1"/task/*/status 2>/dev/null || echo 0
}
cpu() {  # user + system CPU ticks (1/100 s) of a process
  awk '{print $14 + $15}' /proc/"$1"/stat 2>/dev/null || echo 0
}

wait_line() {  # text, file: waits (bounded) until the load generator printed it
  local i
  for i in $(seq $(( (warmup + window + 30) * 20 ))); do
    grep -q "^$1" "$2" 2>/dev/null && return 0
    sleep 0.05
  done
}

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --dir "$tmp" \
  >"$out/redis.log" 2>&1 &
redis_pid=$!
pids+=($redis_pid)
nats_port=$(free_port)
mkdir -p "$tmp/nats"
nats-server -js -a 127.0.0.1 -p "$nats_port" -sd "$tmp/nats" >"$out/nats.log" 2>&1 &
nats_pid=$!
pids+=($nats_pid)
wait_port "$redis_port" redis-server || exit 1
wait_port "$nats_port" nats-server || exit 1

# Compile the load generator once.
mkdir -p "$tmp/load"
"$JAVA_HOME/bin/javac" -d "$tmp/load" bench/PublishLoad.java

one() {  # label, jar, transport, publishers, run -> prints the rate
  local label=$1 jar=$2 transport=$3 n=$4 run=$5 spec port gw opts name extra=""
  case $transport in
    memory) spec=memory ;;
    redis)  spec="redis://127.0.0.1:$redis_port"
            # A cold JVM on a busy machine can take seconds over its first commands (reading the
            # retained log at start); no command comes near this in the measured window.
            extra="--redis-timeout 10s" ;;
    nats)   spec="nats://127.0.0.1:$nats_port" ;;
  esac
  port=$(free_port)
  name="$label-$transport-$n-$run"
  opts="${SLUICE_JAVA_OPTS:--Xms256m -Xmx1g -XX:+UseParallelGC}"
  if [ -n "${JFR:-}" ]; then
    opts="$opts -XX:StartFlightRecording=filename=$out/$name.jfr,settings=profile,dumponexit=true"
  fi
  # shellcheck disable=SC2086
  timeout $((warmup + window + 240)) "$JAVA_HOME/bin/java" $opts --enable-native-access=ALL-UNNAMED -jar "$jar" serve \
    --anonymous --listen "127.0.0.1:$port" --publisher-jwt-key "$secret" --transport "$spec" $extra \
    >"$out/$name.gateway.log" 2>&1 &
  gw=$!
  pids+=($gw)
  if ! wait_port "$port" "gateway ($transport)"; then
    kill "$gw" 2>/dev/null || true
    wait "$gw" 2>/dev/null || true
    echo "$name: the gateway did not start" | tee -a "$out/runs.log" >&2
    echo "0/0"
    return
  fi
  local i
  for i in $(seq 300); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  local jpid before after cpu0 cpu1 rcpu0 rcpu1 ncpu0 ncpu1 load
  jpid=$(pgrep -P "$gw" java || echo "$gw")
  timeout $((warmup + window + 60)) "$JAVA_HOME/bin/java" -cp "$tmp/load" PublishLoad "127.0.0.1:$port" "$secret" \
    "$n" "$warmup" "$window" >"$out/$name.txt" 2>&1 &
  local loadgen=$!
  # The gateway's and the engines' costs over the measured window only (after the warm-up).
  wait_line window-start "$out/$name.txt"
  local lpid lcpu0 lcpu1
  lpid=$(pgrep -P "$loadgen" java || echo "$loadgen")
  before=$(ctx "$jpid"); cpu0=$(cpu "$jpid"); rcpu0=$(cpu "$redis_pid"); ncpu0=$(cpu "$nats_pid"); lcpu0=$(cpu "$lpid")
  wait_line window-end "$out/$name.txt"
  after=$(ctx "$jpid"); cpu1=$(cpu "$jpid"); rcpu1=$(cpu "$redis_pid"); ncpu1=$(cpu "$nats_pid"); lcpu1=$(cpu "$lpid")
  load=$(cut -d' ' -f1 /proc/loadavg)
  wait "$loadgen" || true
  kill "$gw" 2>/dev/null || true
  wait "$gw" 2>/dev/null || true
  local line rate
  line=$(tail -n 1 "$out/$name.txt")
  rate=$(sed -n 's/.*rate=\([0-9]*\)\/s.*/\1/p' <<<"$line")
  local ok
  ok=$(sed -n 's/^ok=\([0-9]*\).*/\1/p' <<<"$line")
  [ "${ok:-0}" -gt 0 ] || ok=1
  # Per 1,000 acknowledged publishes in the window: voluntary context switches of the gateway,
  # CPU ms of the gateway, redis-server, nats-server and the load generator; then publishes per
  # CPU second of all of them (what the publish path costs, whatever share of the cores other
  # work left it), and the load average at the end.
  local total_ticks=$(( cpu1 - cpu0 + rcpu1 - rcpu0 + ncpu1 - ncpu0 + lcpu1 - lcpu0 ))
  [ "$total_ticks" -gt 0 ] || total_ticks=1
  local eff=$(( ok * 100 / total_ticks ))
  echo "$name: $line gw_ctxsw/1k=$(( (after - before) * 1000 / ok )) gw_cpu_ms/1k=$(( (cpu1 - cpu0) * 10 * 1000 / ok ))" \
    "redis_cpu_ms/1k=$(( (rcpu1 - rcpu0) * 10 * 1000 / ok )) nats_cpu_ms/1k=$(( (ncpu1 - ncpu0) * 10 * 1000 / ok ))" \
    "load_cpu_ms/1k=$(( (lcpu1 - lcpu0) * 10 * 1000 / ok )) per_cpu_s=$eff load=$load" | tee -a "$out/runs.log" >&2
  echo "${rate:-0}/$eff"
}

declare -A rates effs
: >"$out/runs.log"
for n in $publishers; do
  for run in $(seq "$runs"); do
    for lj in $jars; do
      for t in $transports; do
        r=$(one "${lj%%=*}" "${lj#*=}" "$t" "$n" "$run")
        rates[${lj%%=*}-$t-$n]="${rates[${lj%%=*}-$t-$n]:-} ${r%/*}"
        effs[${lj%%=*}-$t-$n]="${effs[${lj%%=*}-$t-$n]:-} ${r#*/}"
      done
    done
  done
done

redis-cli -p "$redis_port" INFO commandstats >"$out/redis-commandstats.txt" 2>&1 || true

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
{
  echo "| build | publishers | transport | runs (updates/s) | median | of memory | per CPU-second, runs | median | of memory |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for n in $publishers; do
    for lj in $jars; do
      l=${lj%%=*}
      mem=$(median <<<"${rates[$l-memory-$n]:-0}")
      meme=$(median <<<"${effs[$l-memory-$n]:-0}")
      for t in $transports; do
        m=$(median <<<"${rates[$l-$t-$n]}")
        e=$(median <<<"${effs[$l-$t-$n]}")
        pct=$([ "${mem:-0}" -gt 0 ] && echo "$((m * 100 / mem)) %" || echo "-")
        pcte=$([ "${meme:-0}" -gt 0 ] && echo "$((e * 100 / meme)) %" || echo "-")
        echo "| $l | $n | $t |${rates[$l-$t-$n]} | $m | $pct |${effs[$l-$t-$n]} | $e | $pcte |"
      done
    done
  done
} | tee "$out/summary.md"
