#!/usr/bin/env bash
# `scripts/bench.sh memory`: what the idle daemon costs on a small host — memory with 0, 10 and
# 100 deployments, and CPU per minute with 10 deployments — measured on the RELEASE binary,
# stripped, exactly as scripts/install.sh installs it (scripts/build-release.sh). Prints
# numbers, no pass/fail.
#
# The daemon runs as under systemd (a notify socket and WATCHDOG_USEC=30 s, as
# systemd/stevedore.service's WatchdogSec=: the health watchdog then ticks as in production)
# with a temporary STEVEDORE_ROOT, STEVEDORE_GIT_MODE=local, polls every hour. The deployments
# follow a local bare repository without a Compose file: each first run fails at once, and
# what is measured is their subtrees idling (pipeline waiting, poller, reconciler). Then the
# same with BENCH_APPS (default 10) deployments of a running busybox app (the reconciler asks
# the engine about their containers; the log streamer follows their logs).
#
# Printed, from /proc (the same figures as ../shared/tools/proc-cost): the daemon's RSS and
# anonymous memory, the PSS of the daemon and all its child processes (smaps_rollup: pages
# the daemon shares with its log-streamer child — the same binary — are counted once), the
# thread count, KiB per extra deployment; CPU milliseconds per minute of the process tree
# (utime+stime, reaped children included) over BENCH_CPU_SECONDS (default 120), with 10
# deployments polled hourly and every 10 s.
#
#   STEVEDORE_BIN=path     measure that binary instead of building (e.g. an older one)
#   BENCH_COUNTS="0 10 100", BENCH_CPU_SECONDS=120, BENCH_SETTLE=90 (seconds idle after a
#   start before a measurement: longer than STEVEDORE_CODE_RELEASE_AFTER, 60 s, after which the
#   daemon unmaps the code it ran only to start), BENCH_APPS=10 (0: skip the running apps)
#
# Each measurement is of a daemon started with its deployments already there (as after a boot):
# the deployments are added, their first runs end, the daemon is restarted and left idle.
#   STEVEDORE_STATIC_STDLIB=0|1 is passed on to scripts/build-release.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)
counts=${BENCH_COUNTS:-0 10 100}
cpu_seconds=${BENCH_CPU_SECONDS:-120}
settle=${BENCH_SETTLE:-90}
apps=${BENCH_APPS:-10}

work=$(mktemp -d /tmp/stevedore-bench-memory.XXXXXX)
if [ -n "${STEVEDORE_BIN:-}" ]; then
  bin=$STEVEDORE_BIN
else
  bash scripts/setup.sh >/dev/null
  echo "building the release binary (scripts/build-release.sh; a clean build takes ~10 min)" >&2
  bash scripts/build-release.sh "$work/stevedore" >"$work/build.log" 2>&1 \
    || { tail -30 "$work/build.log" >&2; echo "release build failed" >&2; exit 1; }
  bin=$work/stevedore
fi
api_port=42193
export STEVEDORE_LISTEN_ADDR="127.0.0.1:$api_port" STEVEDORE_GIT_MODE=local STEVEDORE_POLL_INTERVAL=1h

pid=
notify_pid=
running_apps=0
stop_daemon() {  # the running apps' containers go down first (`deploy down`)
  [ -n "$pid" ] || return 0
  local i
  for i in $(seq 1 "$running_apps"); do "$bin" deploy down "app$i" >/dev/null 2>&1 || true; done
  running_apps=0
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  pid=
}
cleanup() {
  stop_daemon
  [ -z "$notify_pid" ] || kill "$notify_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "binary: $bin ($(du -m "$bin" | cut -f1) MB), $("$bin" version)"

# systemd's side of sd_notify(3): a datagram socket that takes READY=1, STATUS=, WATCHDOG=1.
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
while True:
    s.recv(4096)
' "$work/notify.sock" &
notify_pid=$!
until [ -S "$work/notify.sock" ]; do sleep 0.05; done

# The remotes: `plain.git` (no Compose file: the first run fails, the subtree idles) and
# `app.git` (one busybox service that sleeps).
g() { git -C "$1" -c user.name=b -c user.email=b@example.invalid "${@:2}"; }
mkdir -p "$work/plain" "$work/app"
echo "no compose file here" >"$work/plain/README"
cat >"$work/app/compose.yaml" <<'EOF'
services:
  sleeper:
    image: stevedore/busybox:latest
    command: ["sleep", "2147483647"]
    init: true
EOF
for r in plain app; do
  g "$work/$r" init -q -b main && g "$work/$r" add -A && g "$work/$r" commit -qm v1
  git init -q --bare -b main "$work/$r.git" && g "$work/$r" push -q "$work/$r.git" main
done

start_daemon() {
  export STEVEDORE_ROOT="$work/root-$1" STEVEDORE_RUNTIME_DIR="$work/run-$1"
  NOTIFY_SOCKET="$work/notify.sock" WATCHDOG_USEC=30000000 "$bin" daemon >>"$work/daemon.log" 2>&1 &
  pid=$!
  until curl -sf "http://$STEVEDORE_LISTEN_ADDR/healthz" >/dev/null; do
    kill -0 "$pid" 2>/dev/null || { tail -20 "$work/daemon.log" >&2; exit 1; }
    sleep 0.1
  done
}
key() { cat "$STEVEDORE_ROOT/system/admin.key"; }
# Waits until every deployment's first run has ended and its pipeline is idle.
wait_idle() {
  local want=$1 i
  for i in $(seq 1 1200); do
    [ "$(curl -sf -H "Authorization: Bearer $(key)" "http://$STEVEDORE_LISTEN_ADDR/api/status" \
      | jq '[.[] | select(.last_run.outcome != null and .pipeline == "idle")] | length')" -ge "$want" ] && return 0
    sleep 0.5
  done
  echo "deployments did not become idle" >&2
  exit 1
}
add_deployments() {  # add_deployments REMOTE FROM TO
  local i
  for i in $(seq "$2" "$3"); do "$bin" repo add "app$i" "$work/$1.git" --poll-interval 1h >/dev/null; done
}

# The process tree of $pid (children of every thread), and figures summed over it.
tree() { local p; echo "$1"; for p in $(cat /proc/"$1"/task/*/children 2>/dev/null); do tree "$p"; done; }
rollup() { awk -v k="$2" '$1==k":" {print $2}' /proc/"$1"/smaps_rollup 2>/dev/null || echo 0; }
tree_sum() { local t=0 p; for p in $(tree "$pid"); do t=$((t + $(rollup "$p" "$1"))); done; echo "$t"; }
ticks() { local t=0 p; for p in $(tree "$pid"); do t=$((t + $(awk '{print $14+$15+$16+$17}' /proc/"$p"/stat 2>/dev/null || echo 0))); done; echo "$t"; }
hz=$(getconf CLK_TCK)
cpu_per_minute() {  # CPU ms per minute of the tree over $cpu_seconds
  local t0 t1
  t0=$(ticks); sleep "$cpu_seconds"; t1=$(ticks)
  echo $(( (t1 - t0) * 1000 / hz * 60 / cpu_seconds ))
}
declare -A RSS ANON PSS USS THREADS PROCS
measure() {  # measure COUNT
  local n=$1
  RSS[$n]=$(rollup "$pid" Rss)
  ANON[$n]=$(rollup "$pid" Anonymous)
  PSS[$n]=$(tree_sum Pss)
  USS[$n]=$(( $(tree_sum Private_Clean) + $(tree_sum Private_Dirty) ))
  THREADS[$n]=$(ls /proc/"$pid"/task | wc -l)
  PROCS[$n]=$(tree "$pid" | wc -l)
}

start_daemon plain
added=0
for n in $counts; do
  if [ "$n" -gt "$added" ]; then
    add_deployments plain $((added + 1)) "$n"
    wait_idle "$n"
    added=$n
  fi
  stop_daemon
  start_daemon plain
  wait_idle "$n"
  sleep "$settle"
  measure "$n"
  if [ "$n" = 10 ]; then
    cpu_hourly=$(cpu_per_minute)
    for i in $(seq 1 10); do "$bin" repo set "app$i" --poll-interval 10s >/dev/null; done
    sleep 5
    cpu_10s=$(cpu_per_minute)
    for i in $(seq 1 10); do "$bin" repo set "app$i" --poll-interval 1h >/dev/null; done
    wait_idle 10
  fi
done
smaps_top=$(awk '/^[0-9a-f]+-[0-9a-f]+ / {name = $6 ? $6 : "[anon]"} /^Rss:/ {rss[name] += $2} END {for (n in rss) printf "%8d KiB  %s\n", rss[n], n}' /proc/"$pid"/smaps | sort -rn | head -8)
stop_daemon

if [ "$apps" -gt 0 ]; then
  start_daemon app
  add_deployments app 1 "$apps"
  wait_idle "$apps"
  stop_daemon  # the apps keep running (running_apps is 0: no `deploy down`)
  start_daemon app
  running_apps=$apps
  wait_idle "$apps"
  sleep "$settle"
  measure "apps"
  cpu_apps=$(cpu_per_minute)
  stop_daemon
fi

printf '\nidle daemon, release build, stripped; deployments of a repository without a Compose file\n'
printf '%-12s %9s %9s %13s %9s %8s %6s\n' deployments RSS_KiB ANON_KiB PSS_tree_KiB USS_tree threads procs
for n in $counts ${apps:+apps}; do
  [ "$n" != apps ] || [ "$apps" -gt 0 ] || continue
  label=$n; [ "$n" != apps ] || label="$apps running"
  printf '%-12s %9s %9s %13s %9s %8s %6s\n' "$label" "${RSS[$n]}" "${ANON[$n]}" "${PSS[$n]}" "${USS[$n]}" "${THREADS[$n]}" "${PROCS[$n]}"
done
first=$(echo "$counts" | awk '{print $1}')
for n in $counts; do
  [ "$n" -gt "$first" ] || continue
  printf 'per extra deployment (%s → %s): RSS %d KiB, PSS %d KiB, anon %d KiB\n' "$first" "$n" \
    $(( (RSS[$n] - RSS[$first]) / (n - first) )) $(( (PSS[$n] - PSS[$first]) / (n - first) )) $(( (ANON[$n] - ANON[$first]) / (n - first) ))
done
if [ -n "${cpu_hourly:-}" ]; then
  printf 'CPU of the idle tree, 10 deployments polled hourly:   %5d ms per minute (over %d s)\n' "$cpu_hourly" "$cpu_seconds"
  printf 'CPU of the idle tree, 10 deployments polled every 10 s: %3d ms per minute\n' "$cpu_10s"
fi
[ -z "${cpu_apps:-}" ] || printf 'CPU of the idle tree, %d running apps polled hourly:   %5d ms per minute\n' "$apps" "$cpu_apps"
printf '\nlargest mappings of the daemon (RSS), %s deployments:\n%s\n' "$added" "$smaps_top"
