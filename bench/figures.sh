#!/usr/bin/env bash
# Reproduces the figures of BENCHMARKS.md: for each case, starts a fresh gateway with the
# launcher's default JVM flags, runs `sluice bench` against it as a separate process, keeps the
# JSON report in bench-results/, and stops the gateway. Loopback only; every run is bounded.
# Usage: bench/figures.sh [case ...]   (cases: idle15k idle19k bcast2 bcast10 topics overload slow slow0
#        market market-conflate topics-overflow)
# A case name may end in -epoll, -uring or -nio: the same case against a gateway on that I/O kind
# (--io epoll, io_uring, nio), e.g. `bench/figures.sh bcast10-epoll bcast10-uring`.
# Environment: RUNS (runs per case, default 3); ORDER=interleave runs round by round (run 1 of
# every case, then run 2, ...) instead of case by case, so cases compared side by side share the
# machine's conditions; IO (--io for cases without a suffix, default the gateway's auto); PORT
# (default 8080); GATEWAY_FLAGS (more gateway flags, e.g. "--socket-send-buffer 64KiB"); TAG
# (appended to the result names, e.g. TAG=-sndbuf gives bcast10-uring-sndbuf-1.json).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
. "$here/.ci/find-jdk.sh"
[ -f target/sluice.jar ] || ./mvnw -q -B -DskipTests package
out="$here/bench-results"; mkdir -p "$out"
runs="${RUNS:-3}"
port="${PORT:-8080}"
url="http://127.0.0.1:$port"
secret="bench-secret-0123456789-abcdefghijklmnopqrstuv"

io=()       # --io of the current case, if any
gw=
serve() {  # extra gateway flags...
  if curl -sf "$url/healthz" >/dev/null 2>&1; then
    echo "something already answers on $url: stop it or choose another PORT" >&2; exit 1
  fi
  # shellcheck disable=SC2086 # GATEWAY_FLAGS is a list of flags
  ./sluice serve --anonymous --listen "127.0.0.1:$port" --publisher-jwt-key "$secret" "${io[@]}" ${GATEWAY_FLAGS:-} "$@" \
    >"$out/gateway.log" 2>&1 &
  gw=$!
  for _ in $(seq 600); do curl -sf "$url/healthz" >/dev/null 2>&1 && break; sleep 0.1; done   # a loaded machine starts slowly
  grep -m1 "I/O kind" "$out/gateway.log" || true
  gwpid=$(pgrep -P "$gw" java || echo "$gw")   # ./sluice execs java, so usually the same pid
}
stop() { [ -z "$gw" ] || { kill "$gw" 2>/dev/null || true; wait "$gw" 2>/dev/null || true; gw=; sleep 1; }; }
trap stop EXIT   # a failed run must not leave its gateway holding the port
bench() {  # name, bench flags...
  local name=$1; shift
  "$JAVA_HOME/bin/java" -Xmx2g -XX:+UseParallelGC --enable-native-access=ALL-UNNAMED -jar target/sluice.jar \
    bench --url "$url" --secret "$secret" --gateway-pid "$gwpid" --json "$out/$name.json" "$@" | tee "$out/$name.txt"
}
busy_pct() {  # share of the machine's CPU busy over 3 s
  local a b
  a=($(head -1 /proc/stat)); sleep 3; b=($(head -1 /proc/stat))
  local total=0 idle=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  idle=$((b[4] - a[4] + b[5] - a[5]))
  echo $(( (total - idle) * 100 / (total > 0 ? total : 1) ))
}
quiet() {  # other work may share these cores: wait (at most 30 s) for a quieter moment, and log it
  local waited=0 pct
  while pct=$(busy_pct); [ "$pct" -gt 30 ] && [ $waited -lt "${QUIET_MAX:-30}" ]; do waited=$((waited + 3)); done
  echo "machine busy ${pct}% before the run (waited ${waited}s)" | tee -a "$out/quiet.log"
}
one() {  # case, run
  local name=$1${TAG:-} c=$1 r=$2
  io=(); [ -z "${IO:-}" ] || io=(--io "$IO")
  case $c in
    *-epoll) c=${c%-epoll}; io=(--io epoll) ;;
    *-uring) c=${c%-uring}; io=(--io io_uring) ;;
    *-nio)   c=${c%-nio};   io=(--io nio) ;;
  esac
  echo "== $name run ${2} (${io[*]:-default I/O}) $(date -u +%H:%M:%S)" | tee -a "$out/quiet.log"
  quiet
  case $c in
    idle15k)  serve; bench "$name-$r" --scenario idle --subscribers 15000 --source-addresses 2 --gc-probe --duration 30s ;;
    idle19k)  serve; bench "$name-$r" --scenario idle --subscribers 19000 --source-addresses 2 --gc-probe --duration 30s ;;
    bcast2)   serve; bench "$name-$r" --scenario broadcast --subscribers 10000 --rate 2 --source-addresses 2 --duration 20s ;;
    bcast10)  serve; bench "$name-$r" --scenario broadcast --subscribers 10000 --rate 10 --source-addresses 2 --duration 20s ;;
    topics)   serve; bench "$name-$r" --scenario topics --subscribers 10000 --topics 1000 --rate 1000 --source-addresses 2 --duration 20s ;;
    overload) serve; bench "$name-$r" --scenario broadcast --subscribers 10000 --rate 100 --source-addresses 2 --duration 20s --drain 30s ;;
    topics-overflow) serve --max-dispatch-queue 64; bench "$name-$r" --scenario topics --subscribers 10000 --topics 1000 \
                --rate 4000 --source-addresses 2 --duration 20s --drain 30s ;;
    slow)     serve --subscriber-budget 256KiB; bench "$name-$r" --scenario slow --subscribers 2000 --rate 10 \
                --payload-bytes 4096 --slow-share 0.05 --slow-read-rate 4096 --duration 20s ;;
    slow0)    serve --subscriber-budget 256KiB; bench "$name-$r" --scenario slow --subscribers 2000 --rate 10 \
                --payload-bytes 4096 --slow-share 0 --duration 20s ;;
    market)   serve --subscriber-budget 64KiB --socket-send-buffer 32KiB; bench "$name-$r" --scenario market --subscribers 100 --topics 500 \
                --rate 2000 --payload-bytes 400 --slow-share 0.05 --slow-read-rate 4096 --warmup 3s --duration 10s ;;
    market-conflate) serve --subscriber-budget 64KiB --socket-send-buffer 32KiB --conflate 'https://example.com/bench/market/{group}/{symbol}'
              bench "$name-$r" --scenario market --subscribers 100 --topics 500 \
                --rate 2000 --payload-bytes 400 --slow-share 0.05 --slow-read-rate 4096 --warmup 3s --duration 10s ;;
    *) echo "unknown case $c" >&2; exit 2 ;;
  esac
  # The gateway's own counters of falling behind, beside the bench's report.
  curl -s --max-time 10 "$url/metrics" | grep -E '^sluice_(dispatch_(overflows|gaps|refused)|replay_gaps|replayed|slow_disconnects)_total' \
    >"$out/$name-$r.metrics" || true
  stop
}
cases=("$@"); [ ${#cases[@]} -gt 0 ] || cases=(idle15k idle19k bcast2 bcast10 topics overload slow0 slow)
if [ "${ORDER:-}" = interleave ]; then
  for r in $(seq "$runs"); do for c in "${cases[@]}"; do one "$c" "$r"; done; done
else
  for c in "${cases[@]}"; do for r in $(seq "$runs"); do one "$c" "$r"; done; done
fi
