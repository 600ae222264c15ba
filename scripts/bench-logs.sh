#!/usr/bin/env bash
# scripts/bench.sh logs: the log streamer beside the Docker CLI, on the real engine.
#
#   1. Throughput and CPU: a container prints LINES lines of 100 bytes as fast as it can
#      (json-file log), then sleeps. Then, in turn (ROUNDS rounds, alternating):
#        - `docker logs -f CONTAINER > file` (the anchor), until the file has every line;
#        - `stevedore log-streamer` (release build) with redaction on and 50 secrets
#          registered, following the same container into its log directory.
#      Printed: lines/s and CPU seconds per MiB of output (the reader's own user+system
#      time from /proc/PID/stat), median and p99 over the rounds, side by side.
#      `docker logs -f -t` (timestamps, as the streamer asks for) is printed beside them.
#   2. Memory: the real daemon with one deployment of 50 services each printing a line every
#      100 ms: its log-streamer child's USS (Private_Clean + Private_Dirty of
#      /proc/PID/smaps_rollup) after 15 s. (USS of a process started alone would count the
#      binary's pages, which beside the daemon are shared.)
#   3. Flood: one container prints as fast as it can (faster than the streamer takes it)
#      while another prints a line every 100 ms: how far the quiet one's file lags behind
#      (now − its last line's Docker timestamp, sampled every 100 ms for 15 s) and the
#      streamer's peak RSS (VmHWM) meanwhile.
#   4. The daemon's own RSS/USS with and without the log-streamer child (no deployments).
#
#   LINES=500000 ROUNDS=3 PARTS="throughput memory daemon" scripts/bench.sh logs
set -euo pipefail
cd "$(dirname "$0")/.."
LINES=${LINES:-500000}
ROUNDS=${ROUNDS:-3}
PARTS=${PARTS:-throughput flood memory daemon}
part() { [[ " $PARTS " == *" $1 "* ]]; }
bash scripts/setup.sh >/dev/null
echo "[bench] building the release binary (minutes the first time)" >&2
swift build -c release --product stevedore >/dev/null 2>&1 || { echo "build failed: swift build -c release --product stevedore" >&2; exit 1; }
bin="$(swift build -c release --show-bin-path)/stevedore"
work=$(mktemp -d /tmp/stevedore-bench-logs.XXXXXX)
project=stevedore-benchlogs
cleanup() {
  ids=$(docker ps -aq --filter "label=com.docker.compose.project=$project" 2>/dev/null || true)
  [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
  [ -z "${daemon_pid:-}" ] || kill -TERM "$daemon_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A control message for the streamer: its configuration with 50 secrets (LogStreamerMessage).
config() {  # config DIR
  python3 - "$1" "$project" <<'PY'
import json, sys, base64, struct
directory, project = sys.argv[1], sys.argv[2]
secrets = [{"key": f"SECRET_{i}", "base64": base64.b64encode(f"bench-secret-value-{i:03d}-xyzzy".encode()).decode()} for i in range(50)]
message = {"configure": {"_0": {
    "dockerSocket": "/var/run/docker.sock",
    "deployments": [{"name": "benchlogs", "project": project, "directory": directory,
                     "limits": {"maximumBytes": 8 << 30, "fileBytes": 4 << 30, "lineBytes": 16384}}],
    "secrets": secrets, "heartbeatSeconds": 5, "idleFlushMilliseconds": 500}}}
body = json.dumps(message).encode()
sys.stdout.buffer.write(struct.pack(">I", len(body)) + body)
sys.stdout.buffer.flush()
PY
}
uss() { awk '/^Private_(Clean|Dirty)/ {s += $2} END {print s}' "/proc/$1/smaps_rollup"; }
rss() { awk '/^Rss/ {print $2}' "/proc/$1/smaps_rollup"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }

# 1. Throughput.
if part throughput; then
text=$(printf 'x%.0s' $(seq 1 99))   # 99 bytes + newline = 100 bytes a line
cid=$(docker run -d --label "com.docker.compose.project=$project" --label com.docker.compose.service=flood \
  stevedore/busybox:latest sh -c "yes '$text' | head -n $LINES; echo DONE; sleep 100000")
echo "[bench] container $cid printing $LINES lines" >&2
until docker logs --tail 1 "$cid" 2>/dev/null | grep -q DONE; do sleep 0.5; done
mib=$(python3 -c "print($LINES * 100 / 1048576)")
docker_bytes=$(( LINES * 100 + 5 ))
streamer_bytes=$(( LINES * (52 + 99) + 56 ))
docker_t_bytes=$(( LINES * 131 + 36 ))   # with -t: 30-byte timestamp and a space before each line
declare -a d_rate d_cpu t_rate t_cpu s_rate s_cpu
for round in $(seq 1 "$ROUNDS"); do
  # Docker CLI with timestamps, as the streamer asks for them.
  out="$work/docker-t.$round.log"
  start=$(date +%s%N)
  docker logs -f -t "$cid" >"$out" 2>&1 &
  p=$!
  until [ "$(size_of "$out")" -ge "$docker_t_bytes" ]; do sleep 0.05; done
  end=$(date +%s%N)
  ticks=$(cpu_ticks "$p"); kill "$p"; wait "$p" 2>/dev/null || true
  t_rate+=("$(python3 -c "print(round($LINES / (($end - $start) / 1e9)))")")
  t_cpu+=("$(python3 -c "print(round($ticks / $hz / $mib, 5))")")
  rm -f "$out"
  # Docker CLI.
  out="$work/docker.$round.log"
  start=$(date +%s%N)
  docker logs -f "$cid" >"$out" 2>&1 &
  p=$!
  until [ "$(size_of "$out")" -ge "$docker_bytes" ]; do sleep 0.05; done
  end=$(date +%s%N)
  ticks=$(cpu_ticks "$p"); kill "$p"; wait "$p" 2>/dev/null || true
  d_rate+=("$(python3 -c "print(round($LINES / (($end - $start) / 1e9)))")")
  d_cpu+=("$(python3 -c "print(round($ticks / $hz / $mib, 5))")")
  # The streamer.
  dir="$work/streamer.$round"
  mkdir -p "$dir"
  start=$(date +%s%N)
  ( config "$dir"; sleep 100000 ) | env -i PATH="$PATH" "$bin" log-streamer >"$work/streamer.$round.out" 2>&1 &
  sleep 0.2
  p=$(pgrep -f -n "stevedore log-streamer")
  until [ "$(size_of "$dir/flood.log")" -ge "$streamer_bytes" ]; do sleep 0.05; done
  end=$(date +%s%N)
  ticks=$(cpu_ticks "$p"); kill -TERM "$p"; sleep 0.5; pkill -f "sleep 100000" 2>/dev/null || true
  s_rate+=("$(python3 -c "print(round($LINES / (($end - $start) / 1e9)))")")
  s_cpu+=("$(python3 -c "print(round($ticks / $hz / $mib, 5))")")
  grep -c "bench-secret" "$dir/flood.log" >/dev/null && { echo "[bench] a secret leaked?" >&2; }
  rm -rf "$dir" "$out"
  echo "[bench] round $round: docker ${d_rate[-1]} lines/s ${d_cpu[-1]} cpu-s/MiB; docker -t ${t_rate[-1]} ${t_cpu[-1]}; streamer ${s_rate[-1]} lines/s ${s_cpu[-1]} cpu-s/MiB" >&2
done
stats() { python3 -c "
import sys, statistics
v = sorted(float(x) for x in sys.argv[1:])
p99 = v[min(len(v) - 1, int(round(0.99 * (len(v) - 1))))]
print(f'median {statistics.median(v):>12g}  p99 {p99:>12g}')" "$@"; }
echo
echo "Log throughput: $LINES lines of 100 bytes ($mib MiB), $ROUNDS rounds, release build"
printf '  %-42s lines/s  %s\n' "docker logs -f > file (anchor)" "$(stats "${d_rate[@]}")"
printf '  %-42s lines/s  %s\n' "docker logs -f -t > file" "$(stats "${t_rate[@]}")"
printf '  %-42s lines/s  %s\n' "stevedore log-streamer (50 secrets)" "$(stats "${s_rate[@]}")"
printf '  %-42s cpu s/MiB %s\n' "docker logs -f > file (anchor)" "$(stats "${d_cpu[@]}")"
printf '  %-42s cpu s/MiB %s\n' "docker logs -f -t > file" "$(stats "${t_cpu[@]}")"
printf '  %-42s cpu s/MiB %s\n' "stevedore log-streamer (50 secrets)" "$(stats "${s_cpu[@]}")"
docker rm -f "$cid" >/dev/null
fi

# Flood beside a quiet stream.
if part flood; then
echo "[bench] flood: one container as fast as it can, one every 100 ms" >&2
quiet=$(docker run -d --label "com.docker.compose.project=$project" --label com.docker.compose.service=quiet \
  stevedore/busybox:latest sh -c 'while true; do echo tick; usleep 100000; done')
dir="$work/flood"
mkdir -p "$dir"
( config "$dir"; sleep 100000 ) | env -i PATH="$PATH" "$bin" log-streamer >"$work/flood.out" 2>&1 &
sleep 1
p=$(pgrep -f -n "stevedore log-streamer")
text=$(printf 'y%.0s' $(seq 1 99))
flood=$(docker run -d --label "com.docker.compose.project=$project" --label com.docker.compose.service=flood \
  stevedore/busybox:latest sh -c "yes '$text'")
sleep 1
lags=$(python3 - "$dir/quiet.log" <<'PY'
import sys, time, os, datetime, statistics
path = sys.argv[1]
lags = []
end = time.time() + 15
while time.time() < end:
    with open(path, 'rb') as f:
        f.seek(max(0, os.path.getsize(path) - 200))
        last = f.read().splitlines()[-1].decode()
    stamp = last[:30]
    t = datetime.datetime.strptime(stamp[:26] + 'Z', '%Y-%m-%dT%H:%M:%S.%fZ').replace(tzinfo=datetime.timezone.utc).timestamp()
    lags.append((time.time() - t) * 1000)
    time.sleep(0.1)
lags.sort()
print(f"median {statistics.median(lags):.0f} ms, p99 {lags[int(0.99 * (len(lags) - 1))]:.0f} ms over {len(lags)} samples")
PY
)
flood_lines=$(wc -l <"$dir/flood.log")
hwm=$(awk '/VmHWM/ {print $2}' "/proc/$p/status")
echo
echo "Flood beside a quiet stream (15 s): the flood wrote $flood_lines lines"
echo "  quiet stream's file behind its container (a line every 100 ms): $lags"
echo "  streamer peak RSS meanwhile: $(( hwm / 1024 )) MiB"
kill -TERM "$p"; pkill -f "sleep 100000" 2>/dev/null || true
docker rm -f "$quiet" "$flood" >/dev/null
fi

# 2. Memory with 50 containers: the real daemon (release build) with one deployment of 50
#    services, each printing a line every 100 ms; the daemon's log-streamer child follows them.
if part memory; then
echo "[bench] deploying 50 services that print a line every 100 ms" >&2
src="$work/mem-src"
mkdir -p "$src"
{
  echo "services:"
  for i in $(seq 1 50); do
    cat <<YAML
  svc$i:
    image: stevedore/busybox:latest
    init: true
    command: ["sh", "-c", "i=0; while true; do i=\$\$((i+1)); echo \"line \$\$i of svc$i with the secret bench-secret-value-007-xyzzy\"; usleep 100000; done"]
YAML
  done
  echo "x-stevedore: {health_check_timeout: 120}"
} >"$src/compose.yaml"
git -C "$src" init -q -b main && git -C "$src" add -A && git -C "$src" -c user.name=b -c user.email=b@example.invalid commit -qm mem
git init -q --bare -b main "$work/mem.git" && git -C "$src" push -q "$work/mem.git" main
export STEVEDORE_ROOT="$work/memroot" STEVEDORE_LISTEN_ADDR="127.0.0.1:42188" STEVEDORE_RUNTIME_DIR="$work/memrun"
export STEVEDORE_GIT_MODE=local STEVEDORE_POLL_INTERVAL=1h
"$bin" daemon >"$work/memdaemon.log" 2>&1 &
daemon_pid=$!
until curl -sf "http://$STEVEDORE_LISTEN_ADDR/healthz" >/dev/null; do sleep 0.1; done
"$bin" repo add benchmem "$work/mem.git" >/dev/null
"$bin" param set benchmem BENCH_SECRET bench-secret-value-007-xyzzy >/dev/null
"$bin" deploy up benchmem >/dev/null || { echo "[bench] deploy failed" >&2; tail -20 "$work/memdaemon.log" >&2; exit 1; }
logs="$STEVEDORE_ROOT/deployments/benchmem/logs"
for _ in $(seq 1 120); do [ "$(ls "$logs" 2>/dev/null | grep -c '\.log$')" -ge 50 ] && break; sleep 0.5; done
sleep 15
p=$(pgrep -f -P "$daemon_pid" "log-streamer")
streams=$(ls "$logs" | grep -c '\.log$' || true)
leaks=$(cat "$logs"/*.log | grep -c "bench-secret-value" || true)
echo
echo "Streamer memory: the daemon's log-streamer child following 50 containers ($streams files, $leaks unredacted secrets), after 15 s"
echo "  USS $(( $(uss "$p") / 1024 )) MiB ($(uss "$p") KiB), RSS $(( $(rss "$p") / 1024 )) MiB   (goal: USS <= 12 MiB)"
echo "  daemon beside it: RSS $(( $(rss "$daemon_pid") / 1024 )) MiB, USS $(( $(uss "$daemon_pid") / 1024 )) MiB"
if [ -x ../shared/tools/proc-cost ]; then ../shared/tools/proc-cost "$p" 10 | sed 's/^/  /'; fi
# The anchor for the same load: one `docker logs -f` per container (what following 50
# containers with the Docker CLI takes), CPU over the same 10 s and the sum of their USS.
s0=$(cpu_ticks "$p")
sleep 10
s1=$(cpu_ticks "$p")
pids=()
for id in $(docker ps -q --filter "label=com.docker.compose.project=stevedore-benchmem"); do
  docker logs -f -n 0 "$id" >/dev/null 2>&1 &
  pids+=($!)
done
sleep 3
c0=0; for q in "${pids[@]}"; do c0=$(( c0 + $(cpu_ticks "$q") )); done
sleep 10
c1=0; cuss=0; for q in "${pids[@]}"; do c1=$(( c1 + $(cpu_ticks "$q") )); cuss=$(( cuss + $(uss "$q") )); done
kill "${pids[@]}" 2>/dev/null || true
echo "  CPU over 10 s for these 50 containers (500 lines/s): streamer $(( (s1 - s0) * 1000 / hz )) ms; 50 × docker logs -f: $(( (c1 - c0) * 1000 / hz )) ms (their USS together $(( cuss / 1024 )) MiB)"
"$bin" deploy down benchmem >/dev/null 2>&1 || true
kill -TERM "$daemon_pid"; wait "$daemon_pid" 2>/dev/null || true
daemon_pid=
unset STEVEDORE_GIT_MODE STEVEDORE_POLL_INTERVAL
fi

# 3. The daemon with and without the streamer.
part daemon || exit 0
echo
echo "Daemon process alone (no deployments, 10 s after start), release build"
for streamer in 0 1; do
  export STEVEDORE_ROOT="$work/root$streamer" STEVEDORE_LISTEN_ADDR="127.0.0.1:4219$streamer" STEVEDORE_RUNTIME_DIR="$work/run$streamer"
  STEVEDORE_LOG_STREAMER=$streamer "$bin" daemon >"$work/daemon$streamer.log" 2>&1 &
  daemon_pid=$!
  until curl -sf "http://$STEVEDORE_LISTEN_ADDR/healthz" >/dev/null; do sleep 0.1; done
  sleep 10
  line="  log streamer $([ "$streamer" = 1 ] && echo on ' ' || echo off): daemon RSS $(( $(rss "$daemon_pid") / 1024 )) MiB, USS $(( $(uss "$daemon_pid") / 1024 )) MiB"
  if [ "$streamer" = 1 ]; then
    sp=$(pgrep -f -P "$daemon_pid" "log-streamer" || true)
    [ -z "$sp" ] || line="$line; streamer process RSS $(( $(rss "$sp") / 1024 )) MiB, USS $(( $(uss "$sp") / 1024 )) MiB"
  fi
  echo "$line"
  kill -TERM "$daemon_pid"; wait "$daemon_pid" 2>/dev/null || true
  daemon_pid=
done
