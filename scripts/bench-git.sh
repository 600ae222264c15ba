#!/usr/bin/env bash
# `scripts/bench.sh git`: what one check of an unchanged remote costs, and what the agent costs.
#
# A real sshd with git-shell on 127.0.0.1 serves a bare repository; the deployment's deploy key
# is authorised. For each combination of STEVEDORE_GIT_MODE (worker, local) and
# STEVEDORE_GIT_CHECK (ls-remote, shallow-fetch) a daemon runs and `GET /api/deployments/NAME/check`
# is called N times (default 20, BENCH_CHECKS). Printed per check: median and p90 wall time; CPU
# seconds of the processes doing the work (see work_ticks), and of the whole machine (from
# /proc/stat, minus the idle rate measured before: meaningful only on an otherwise quiet machine).
# Then the daemon's RSS with 0 and with 50 agent sockets, and the RSS floor of a second Swift
# process (what isolating the agent in its own process would add at least).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh >/dev/null
swift build --product stevedore >/dev/null 2>&1 || { echo "build failed: run swift build" >&2; exit 1; }
bin="$(swift build --show-bin-path)/stevedore"
N=${BENCH_CHECKS:-20}

work=$(mktemp -d /tmp/stevedore-bench-git.XXXXXX)
api_port=42191
ssh_port=42192
export STEVEDORE_ROOT="$work/root" STEVEDORE_LISTEN_ADDR="127.0.0.1:$api_port" STEVEDORE_RUNTIME_DIR="$work/run"
export STEVEDORE_GIT_IMAGE=${STEVEDORE_GIT_IMAGE:-stevedore/git:latest} STEVEDORE_POLL_INTERVAL=1h
pid=
cleanup() {
  [ -z "$pid" ] || { kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; }
  [ ! -f "$work/sshd.pid" ] || kill "$(cat "$work/sshd.pid")" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The remote: a bare repository with one commit, served by sshd + git-shell.
git init -q -b main "$work/src" && echo hi >"$work/src/f" && git -C "$work/src" add -A
git -C "$work/src" -c user.name=b -c user.email=b@example.invalid commit -qm v1
git init -q --bare -b main "$work/remote.git" && git -C "$work/src" push -q "$work/remote.git" main
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
url="ssh://root@127.0.0.1:$ssh_port$work/remote.git"

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
work_ticks() {
  echo $(( $(proc_ticks "$pid") + $(proc_ticks "$(pgrep -xo dockerd)") + $(proc_ticks "$(pgrep -xo containerd)") \
           + $(proc_ticks "$(cat "$work/sshd.pid")") + $(docker_cg_ticks) ))
}
hz=$(getconf CLK_TCK)
key() { cat "$STEVEDORE_ROOT/system/admin.key"; }
check() { curl -sf -H "Authorization: Bearer $(key)" "http://$STEVEDORE_LISTEN_ADDR/api/deployments/bench/check" >/dev/null; }

start_daemon
"$bin" repo add bench "$url" >/dev/null
"$bin" repo key bench --quiet | sed 's/^/command="git-shell -c \\"$SSH_ORIGINAL_COMMAND\\"",restrict /' >"$work/authorized_keys"
"$bin" deploy sync bench >/dev/null   # trusts the host key, proves the key works
stop_daemon

# Idle CPU rate of the machine (ticks per second) over 5 s, subtracted below.
i0=$(cpu_ticks); sleep 5; i1=$(cpu_ticks)
idle_rate=$(awk -v a="$i0" -v b="$i1" 'BEGIN {print (b-a)/5}')

echo "one check of an unchanged remote over SSH (N=$N each; CPU = whole machine minus idle):"
for mode in worker local; do
  for method in ls-remote shallow-fetch; do
    start_daemon STEVEDORE_GIT_MODE=$mode STEVEDORE_GIT_CHECK=$method
    check  # warm-up (image lookup, connection pools)
    # The same processes' idle rate (workload healthchecks, polling), subtracted below.
    b0=$(work_ticks); sleep 5; b1=$(work_ticks)
    times=()
    c0=$(cpu_ticks); w0=$(work_ticks); t0=$(date +%s%N)
    for _ in $(seq "$N"); do
      s=$(date +%s%N); check; e=$(date +%s%N)
      times+=($(( (e - s) / 1000000 )))
    done
    t1=$(date +%s%N); c1=$(cpu_ticks); w1=$(work_ticks)
    stop_daemon
    sorted=$(printf '%s\n' "${times[@]}" | sort -n)
    median=$(echo "$sorted" | awk -v n="$N" 'NR==int((n+1)/2)')
    p90=$(echo "$sorted" | awk -v n="$N" 'NR==int(n*0.9+0.5)')
    cpu=$(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v n="$N" -v idle="$idle_rate" -v secs="$(( (t1 - t0) / 1000000 ))" \
      'BEGIN {printf "%.3f", ((b-a) - idle*secs/1000) / hz / n}')
    own=$(awk -v a="$w0" -v b="$w1" -v hz="$hz" -v n="$N" -v b0="$b0" -v b1="$b1" -v secs="$(( (t1 - t0) / 1000000 ))" \
      'BEGIN {printf "%.3f", ((b-a) - (b1-b0)/5*secs/1000) / hz / n}')
    printf '  %-6s %-13s wall median %5d ms, p90 %5d ms; CPU %s s per check (daemon+dockerd+containerd+sshd+containers), machine-wide %s s\n' \
      "$mode" "$method" "$median" "$p90" "$own" "$cpu"
  done
done

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
