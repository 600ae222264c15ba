#!/usr/bin/env bash
# `scripts/bench.sh git`: what one check of an unchanged remote costs, each way side by side in
# one run, on the release build (what users run).
#
# A real sshd with git-shell on 127.0.0.1 serves a bare repository; the deployment's deploy key
# is authorised. For each way of checking a daemon runs and `GET /api/deployments/NAME/check`
# is called N times (default 100, BENCH_CHECKS):
#   worker    ls-remote       the old way: `git ls-remote` in a git worker container per check
#   local     ls-remote       the old local mode: `git ls-remote` as a subprocess of the daemon
#   -         in-process      the new way (default): ref discovery inside the daemon (SwiftNIO
#                             SSH, protocol v2 ls-refs); no process, no container
# Printed per way: median and p99 wall time of the API call; the daemon's own CPU per check
# (utime + stime of the stevedore process and of every child it reaped, from /proc/PID/stat,
# minus its idle rate); the engine's (dockerd + containerd + containers: only the worker way
# uses it); and the remote's (sshd and its per-connection children), printed separately.
# BENCH_SHALLOW=1 also measures STEVEDORE_GIT_CHECK=shallow-fetch in both modes; BENCH_PERF=1
# profiles the daemon during the in-process checks (perf record) and prints where its CPU goes.
# BENCH_ONLY_IN_PROCESS=1 measures only the in-process way. STEVEDORE_BIN=PATH measures that
# binary instead of building one.
# Then the daemon's RSS with 0 and with 50 agent sockets.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
N=${BENCH_CHECKS:-100}

work=$(mktemp -d /tmp/stevedore-bench-git.XXXXXX)
chmod 0755 "$work"  # the remote's user reads the repository
if [ -n "${STEVEDORE_BIN:-}" ]; then
  bin=$STEVEDORE_BIN
else
  # The binary users run: scripts/build-release.sh (release, static Swift runtime, stripped).
  bash scripts/build-release.sh "$work/stevedore" >"$work/build.log" 2>&1 \
    || { tail -30 "$work/build.log" >&2; echo "release build failed (scripts/build-release.sh)" >&2; exit 1; }
  bin=$work/stevedore
fi
# The remote's account: a user of its own whose login shell is /bin/sh. As root, sshd would
# run the forced git-shell through root's bash, which sources ~/.bashrc for a command run by
# sshd (bash(1), INVOCATION) — on this machine a pyenv init costing ~80 ms per connection,
# the remote's cost, not the check's.
remote_user=stevedore-bench-git
id "$remote_user" >/dev/null 2>&1 || useradd --system --no-create-home --home-dir /nonexistent --shell /bin/sh "$remote_user"
usermod -p '*' "$remote_user"  # no password, but not locked ("!"): sshd refuses locked accounts without PAM
api_port=42191
ssh_port=42192
export STEVEDORE_ROOT="$work/root" STEVEDORE_LISTEN_ADDR="127.0.0.1:$api_port" STEVEDORE_RUNTIME_DIR="$work/run"
export STEVEDORE_GIT_IMAGE=${STEVEDORE_GIT_IMAGE:-stevedore/git:latest} STEVEDORE_POLL_INTERVAL=1h
pid=
cleanup() {
  [ -z "$pid" ] || { kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; }
  [ ! -f "$work/sshd.pid" ] || kill "$(cat "$work/sshd.pid")" 2>/dev/null || true
  rm -rf "$work"
  userdel "$remote_user" 2>/dev/null || true
}
trap cleanup EXIT

# The remote: a bare repository with one commit, served by sshd + git-shell.
git init -q -b main "$work/src" && echo hi >"$work/src/f" && git -C "$work/src" add -A
git -C "$work/src" -c user.name=b -c user.email=b@example.invalid commit -qm v1
git init -q --bare -b main "$work/remote.git" && git -C "$work/src" push -q "$work/remote.git" main
chown -R "$remote_user" "$work/remote.git"
mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
: >"$work/authorized_keys"
cat >"$work/sshd_config" <<CFG
Port $ssh_port
ListenAddress 127.0.0.1
HostKey $work/host_key
PidFile $work/sshd.pid
AuthorizedKeysFile $work/authorized_keys
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
CFG
/usr/sbin/sshd -f "$work/sshd_config" -E "$work/sshd.log"
url="ssh://$remote_user@127.0.0.1:$ssh_port$work/remote.git"

start_daemon() {
  env "$@" "$bin" daemon >>"$work/daemon.log" 2>&1 &
  pid=$!
  until curl -sf "http://$STEVEDORE_LISTEN_ADDR/healthz" >/dev/null; do sleep 0.1; done
}
stop_daemon() { kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=; }
cpu_ticks() { awk '/^cpu / {print $2+$3+$4+$7+$8}' /proc/stat; }
# CPU ticks of the processes that do a check's work, robust against other load on the machine:
# our daemon (+ its reaped children: local git), dockerd, containerd (+ reaped children), sshd's
# listener (+ its reaped per-connection children), and every container (the docker cgroup of
# cgroup v1 keeps the usage of removed containers). Not included: containerd-shim and runc
# (reaped outside these processes).
proc_ticks() { [ -r "/proc/$1/stat" ] && awk '{print $14+$15+$16+$17}' "/proc/$1/stat" || echo 0; }
docker_cg_ticks() {
  local f=/sys/fs/cgroup/cpuacct/docker/cpuacct.usage
  [ -r "$f" ] && awk -v hz="$hz" '{printf "%d", $1 / 1e9 * hz}' "$f" || echo 0
}
engine_ticks() {
  echo $(( $(proc_ticks "$(pgrep -xo dockerd)") + $(proc_ticks "$(pgrep -xo containerd)") + $(docker_cg_ticks) ))
}
remote_ticks() { proc_ticks "$(cat "$work/sshd.pid")"; }
hz=$(getconf CLK_TCK)
key() { cat "$STEVEDORE_ROOT/system/admin.key"; }
check() { curl -sf -H "Authorization: Bearer $(key)" "http://$STEVEDORE_LISTEN_ADDR/api/deployments/bench/check" >/dev/null; }

start_daemon
"$bin" repo add bench "$url" >/dev/null
"$bin" repo key bench --quiet | sed 's/^/command="git-shell -c \\"$SSH_ORIGINAL_COMMAND\\"",restrict /' >"$work/authorized_keys"
"$bin" deploy sync bench >/dev/null   # trusts the host key, proves the key works
stop_daemon

ways=("worker ls-remote" "local ls-remote" "- in-process")
[ -z "${BENCH_SHALLOW:-}" ] || ways+=("worker shallow-fetch" "local shallow-fetch")
[ -z "${BENCH_ONLY_IN_PROCESS:-}" ] || ways=("- in-process")
echo "one check of an unchanged remote over SSH on loopback, release build, N=$N each (CPU per check: daemon = stevedore + what it spawned; engine = dockerd + containerd + containers; remote = sshd):"
printf '  %-7s %-14s %12s %10s %13s %13s %13s\n' mode check "wall median" "wall p99" "daemon CPU" "engine CPU" "remote CPU"
for way in "${ways[@]}"; do
  read -r mode method <<<"$way"
  if [ "$mode" = "-" ]; then start_daemon STEVEDORE_GIT_CHECK=$method; else start_daemon STEVEDORE_GIT_MODE=$mode STEVEDORE_GIT_CHECK=$method; fi
  check  # warm-up (image lookup, connection pools)
  # The same processes' idle rates (healthchecks, polling, reaper scans), subtracted below.
  d0=$(proc_ticks "$pid"); e0=$(engine_ticks); r0=$(remote_ticks); sleep 5
  d1=$(proc_ticks "$pid"); e1=$(engine_ticks); r1=$(remote_ticks)
  times=()
  perf_pid=
  if [ -n "${BENCH_PERF:-}" ] && [ "$method" = in-process ]; then
    perf record -q -F 2000 -g -o "$work/perf.data" -p "$pid" 2>/dev/null &
    perf_pid=$!
    sleep 1
  fi
  D0=$(proc_ticks "$pid"); E0=$(engine_ticks); R0=$(remote_ticks); t0=$(date +%s%N)
  for _ in $(seq "$N"); do
    s=$(date +%s%N); check; e=$(date +%s%N)
    times+=($(( (e - s) / 1000 )))
  done
  t1=$(date +%s%N); D1=$(proc_ticks "$pid"); E1=$(engine_ticks); R1=$(remote_ticks)
  if [ -n "$perf_pid" ]; then
    kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null || true
    cp "$work/perf.data" /tmp/last-bench-git.perf.data 2>/dev/null || true
    perf report -q -i "$work/perf.data" --no-children -g none --sort dso,sym --percent-limit 1 2>/dev/null | grep -v '^$' | cut -c1-150 | head -40 >"$work/perf.txt" || true
  fi
  stop_daemon
  sorted=$(printf '%s\n' "${times[@]}" | sort -n)
  median=$(echo "$sorted" | awk -v n="$N" 'NR==int((n+1)/2) {printf "%.1f ms", $1/1000}')
  p99=$(echo "$sorted" | awk -v n="$N" 'NR==int(n*0.99+0.5) {printf "%.1f ms", $1/1000}')
  per() {  # ticks during the checks minus the idle rate over the same time, per check, in ms
    awk -v a="$1" -v b="$2" -v i0="$3" -v i1="$4" -v hz="$hz" -v n="$N" -v secs="$(( (t1 - t0) / 1000000 ))" \
      'BEGIN {v = ((b-a) - (i1-i0)/5*secs/1000) / hz / n * 1000; if (v < 0) v = 0; printf "%.1f ms", v}'
  }
  printf '  %-7s %-14s %12s %10s %13s %13s %13s\n' "$mode" "$method" "$median" "$p99" \
    "$(per "$D0" "$D1" "$d0" "$d1")" "$(per "$E0" "$E1" "$e0" "$e1")" "$(per "$R0" "$R1" "$r0" "$r1")"
done
echo "  (goal for in-process: daemon CPU median <= 5 ms, wall <= 50 ms; the earlier implementation's container per check cost 130 ms)"
if [ -s "$work/perf.txt" ]; then
  echo "where the daemon's CPU goes during the in-process checks (perf record, self time, >= 1 %):"
  cat "$work/perf.txt"
fi

# Agent memory: RSS with no sockets, then with 50 deployments (50 sockets, 50 keys).
rm -rf "$work/root" "$work/run"
start_daemon
sleep 2
r0=$(ps -o rss= -p "$pid")
for i in $(seq 50); do "$bin" repo add "m$i" "ssh://git@127.0.0.1:1/none.git" --poll-interval 1h >/dev/null; done
sleep 7
r1=$(ps -o rss= -p "$pid")
sockets=$(find "$work/run/agents" -name agent.sock | wc -l)
stop_daemon
echo "agent memory: daemon RSS $r0 KiB with 0 sockets, $r1 KiB with $sockets sockets (50 deployments: subtrees included) → $(( (r1 - r0) / 50 )) KiB per deployment"
floor=$( { /usr/bin/time -f '%M' "$bin" version >/dev/null; } 2>&1 | tail -1)
echo "a second Swift process (what process isolation of the agent would add at least): $floor KiB peak RSS of \`stevedore version\`"
