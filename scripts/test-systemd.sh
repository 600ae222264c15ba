#!/usr/bin/env bash
# End-to-end test of Stevedore under a real systemd (PID 1 in a container), with the real unit
# file (systemd/stevedore.service, installed by scripts/install.sh) and the real binary, the
# host's Docker socket bind-mounted so that a real deployment runs. Called by scripts/test.sh;
# prints PASS/FAIL per step and the measurements; exits non-zero on the first failure.
#
#   scripts/test-systemd.sh            (STEVEDORE_BIN: the binary under test, default debug build)
#
# The container gets a Raspberry Pi Zero 2 W's budget, `--cpus 0.5 --memory 512m` (issue 13,
# fault 6; STEVEDORE_SYSTEMD_LIMITS overrides, "" for none): the whole test must pass unchanged
# on it. NAME, WORK, DEPLOYMENT, APP_PORT, LISTEN (below) may be overridden so that two runs can
# share a host.
#
# Steps (issue 4; issue 13: the hardened unit runs as the `stevedore` user):
#   0. the unit's exposure (`systemd-analyze security --offline=yes`, run in the container) is
#      at most 3.0 ("OK"); printed with the unhardened unit's for comparison
#   1. install.sh: `systemctl start` returns only after READY=1 (the tree answers at once);
#      `systemctl status` shows the STATUS= line; start → READY time measured; the daemon runs
#      as `stevedore` with no capabilities and owns the state root
#   1b. a private repository over SSH (sshd on the host, the deploy key only in the daemon's
#      agent; git in worker containers running as the daemon's uid) deploys
#   2. a hung child (fault `hang` in deployments/<name>/poller) is repaired in-process:
#      NRestarts stays 0 and the child's restart count grows; hang → restart time measured
#   2b. a hang of the health watchdog itself is repaired in-process before WatchdogSec=
#   3. a child that ignores cancellation (fault in `store`) → stuck → watchdog pings stop →
#      systemd restarts the daemon (NRestarts = 1, journal: watchdog timeout) → tree back;
#      stuck → systemd restart time measured
#   3b. a trap (fault `trap`) crashes the process; Restart=on-failure brings it back
#   4. throughout, the workload container keeps its id and keeps answering; a push to the
#      private repository deploys after both restarts (the agent came back with the daemon)
#   4b. local git mode with the agent under the unit's own /run/stevedore: git and ssh run
#      inside the sandbox (system call filter, no W+X memory, no capabilities); a push over SSH
#      deploys, a repository under /home (ProtectHome=read-only) deploys, `repo remove` deletes
#      its checkout; memory peaks measured; libdispatch could set its threads' nice values
#   5. systemctl stop is clean; install.sh over an install whose daemon ran as root (the
#      unhardened unit, its checkout written by root workers) keeps keys and deployments, gives
#      the state root to `stevedore` (not data/, shared/), and a push deploys; --uninstall keeps
#      state; --purge removes it
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)
# shellcheck source=scripts/systemd-container.sh
source scripts/systemd-container.sh

BIN=${STEVEDORE_BIN:-$here/.build/debug/stevedore}
# Container name, work directory, ports: overridable so that two runs can share a host.
NAME=${NAME:-stevedore-systemd-e2e}
# Host path, mounted at the same path in the container (Compose bind mounts are resolved by the
# host's dockerd). Not under /tmp, /var/tmp or /home, wherever this checkout lives: the unit has
# PrivateTmp= and ProtectHome=.
WORK=${WORK:-/var/lib/stevedore-systemd-e2e}
ROOT=$WORK/root
DEPLOYMENT=${DEPLOYMENT:-sdhello}
PROJECT=stevedore-$DEPLOYMENT
APP_PORT=${APP_PORT:-18093}
LISTEN=${LISTEN:-127.0.0.1:42107}
LIVENESS=8
# The private repository over SSH (step 1b) and the one under /home (4b): the next two ports.
PRIVATE=${DEPLOYMENT}-ssh
PRIVATE_PORT=$((APP_PORT + 1))
HOMEREPO=${DEPLOYMENT}-home
HOME_PORT=$((APP_PORT + 2))
PROJECTS=("$PROJECT" "stevedore-$PRIVATE" "stevedore-$HOMEREPO")
# A Raspberry Pi Zero 2 W class budget for the container (issue 13, fault 6).
if [ -n "${STEVEDORE_SYSTEMD_LIMITS+set}" ]; then LIMITS=$STEVEDORE_SYSTEMD_LIMITS; else LIMITS="--cpus 0.5 --memory 512m"; fi
# The unit before hardening (issue 13), for the score's comparison.
UNHARDENED_REV=6b0d090
# The container's own network (not the default bridge): sshd listens on its gateway (1b).
NETWORK=$NAME-net

step() { printf '[systemd-test] %s\n' "$*" >&2; }
pass() { printf '[systemd-test] PASS %s (at %d s)\n' "$*" "$SECONDS" >&2; }
fail() {
  printf '[systemd-test] FAIL %s\n' "$*" >&2
  if [ -f "$WORK/sshd/sshd.log" ]; then
    echo "--- sshd.log (last 40 lines)" >&2
    tail -n 40 "$WORK/sshd/sshd.log" >&2 || true
  fi
  if docker inspect "$NAME" >/dev/null 2>&1; then
    echo "--- systemctl status stevedore" >&2
    docker exec "$NAME" systemctl status stevedore --no-pager -l >&2 2>&1 || true
    echo "--- journalctl -u stevedore (last 60 lines)" >&2
    docker exec "$NAME" journalctl -u stevedore --no-pager -n 60 >&2 2>&1 || true
    echo "--- the daemon's mounts under /var, /opt and / (/proc/MAINPID/mountinfo)" >&2
    docker exec "$NAME" sh -c 'p=$(systemctl show -p MainPID --value stevedore); [ "$p" != 0 ] && grep -E " / | /(var|opt)" /proc/$p/mountinfo' >&2 2>&1 || true
  fi
  exit 1
}
measure() { printf '[systemd-test] MEASURE %s\n' "$*" >&2; }

case "$WORK" in
  /*/stevedore-systemd*) ;;
  *) fail "WORK must be an absolute path whose last component starts with stevedore-systemd (it is deleted): '$WORK'" ;;
esac
[ -x "$BIN" ] || fail "no stevedore binary at $BIN (build first, or set STEVEDORE_BIN)"

cleanup() {
  sdc_stop "$NAME"
  docker network rm "$NETWORK" >/dev/null 2>&1 || true
  [ ! -f "$WORK/sshd/sshd.pid" ] || kill "$(cat "$WORK/sshd/sshd.pid")" 2>/dev/null || true
  local project ids
  for project in "${PROJECTS[@]}"; do
    ids=$(docker ps -aq --filter "label=com.docker.compose.project=$project" 2>/dev/null || true)
    [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
    docker network rm "${project}_default" >/dev/null 2>&1 || true
    ids=$(docker images -q --filter "label=com.docker.compose.project=$project" 2>/dev/null | sort -u || true)
    [ -z "$ids" ] || docker rmi -f $ids >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
cleanup

in_box() { docker exec "$NAME" "$@"; }
cli() { docker exec -e STEVEDORE_ROOT="$ROOT" -e STEVEDORE_LISTEN_ADDR="$LISTEN" "$NAME" stevedore "$@"; }
prop() { in_box systemctl show -p "$1" --value stevedore.service; }
# The value at a JSON path of stdin ("children.0.state"), with python3 on the host.
jget() { python3 -c 'import json,sys
v=json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v=v[int(k)] if isinstance(v,list) else v.get(k)
print("" if v is None else v)' "$1"; }
node_field() {  # node_field PATH FIELD: from `supervisor status --json`
  cli supervisor status --json | python3 -c 'import json,sys
def walk(n):
    yield n
    for c in n.get("children",[]): yield from walk(c)
t=json.load(sys.stdin)
for n in walk(t):
    if n["path"]==sys.argv[1]:
        v=n.get(sys.argv[2]); print("" if v is None else v); break' "$1" "$2"
}
wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local limit=$1 what=$2; shift 2
  local deadline=$(( $(date +%s) + limit ))
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "gave up after ${limit} s waiting for: $what"
    sleep 0.5
  done
}
app_answers() { curl -sf --max-time 3 "http://127.0.0.1:$APP_PORT/" >/dev/null; }
serves() { [[ "$(curl -sf --max-time 3 "http://127.0.0.1:$1/" 2>/dev/null)" == *"$2"* ]]; }  # serves PORT TEXT
# A copy of examples/hello answering on port $2 with "version $3", as a git work tree at $1.
make_app() {
  mkdir -p "$1"
  cp -r examples/hello/. "$1"
  sed -i "s/HELLO_PORT:-18080/HELLO_PORT:-$2/" "$1/docker-compose.yaml"
  echo "Hello from Stevedore! version $3" >"$1/www/index.html"
  git -C "$1" init -q -b main
}
commit_to() {  # commit_to WORKTREE BARE MESSAGE: commit everything, push to the bare repository
  git -C "$1" add -A
  git -C "$1" -c user.name=e2e -c user.email=e2e@example.invalid commit -qm "$3"
  git -C "$1" push -q "$2" main
}
workload_id() { docker ps -q --no-trunc --filter "label=com.docker.compose.project=$PROJECT"; }
monotonic_us() { python3 -c 'import time; print(int(time.monotonic()*1e6))'; }

# --- setup ------------------------------------------------------------------------------
step "preparing the example repository and the systemd container (limits: ${LIMITS:-none})"
mkdir -p "$WORK"
cp -r examples/hello "$WORK/src"
sed -i "s/HELLO_PORT:-18080/HELLO_PORT:-$APP_PORT/" "$WORK/src/docker-compose.yaml"
git -C "$WORK/src" init -q -b main
git init -q --bare -b main "$WORK/hello.git"
commit_to "$WORK/src" "$WORK/hello.git" "hello for systemd e2e"
make_app "$WORK/private-src" "$PRIVATE_PORT" 1
git init -q --bare -b main "$WORK/private.git"
commit_to "$WORK/private-src" "$WORK/private.git" "private v1"

docker network create "$NETWORK" >/dev/null || fail "cannot create the network $NETWORK"
# shellcheck disable=SC2086 # LIMITS is a list of docker run options
sdc_start "$NAME" --network "$NETWORK" $LIMITS -v "$BIN:/usr/local/bin/stevedore-under-test:ro" -v "$here:/src:ro" -v "$WORK:$WORK" \
  || fail "systemd container did not boot"
[ -z "$LIMITS" ] || measure "container limits: $LIMITS (HostConfig NanoCpus=$(docker inspect -f '{{.HostConfig.NanoCpus}}' "$NAME"), Memory=$(docker inspect -f '{{.HostConfig.Memory}}' "$NAME") bytes)"
# The Docker socket's group exists on a real host (Debian's docker.io creates `docker`); the
# bind-mounted socket has the host's gid, which the image does not know.
socket_gid=$(stat -c %g /var/run/docker.sock)
in_box getent group "$socket_gid" >/dev/null || in_box groupadd --system --gid "$socket_gid" docker \
  || fail "cannot create the docker group ($socket_gid) in the container"
in_box mkdir -p /etc/stevedore
docker exec -i "$NAME" sh -c "cat >/etc/stevedore/stevedore.env" <<EOF
STEVEDORE_LISTEN_ADDR=$LISTEN
STEVEDORE_POLL_INTERVAL=2s
STEVEDORE_GIT_IMAGE=stevedore/git:latest
STEVEDORE_RUNTIME_DIR=$ROOT/run
STEVEDORE_LIVENESS_DEADLINE=${LIVENESS}s
STEVEDORE_FAULT_INJECTION=1
EOF

# --- 0. the unit's exposure, as systemd itself scores it --------------------------------------
step "0. systemd-analyze security --offline=yes systemd/stevedore.service (systemd $(in_box systemctl --version | awk 'NR==1{print $2}'))"
exposure() {  # exposure FILE-IN-THE-CONTAINER: "N.N LEVEL"
  in_box systemd-analyze security --offline=yes --no-pager "$1" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p' | tail -1
}
after=$(exposure /src/systemd/stevedore.service)
[ -n "$after" ] || fail "systemd-analyze printed no exposure level for systemd/stevedore.service"
before=""
if git -C "$here" show "$UNHARDENED_REV:systemd/stevedore.service" >"$WORK/unhardened.service" 2>/dev/null; then
  before=$(exposure "$WORK/unhardened.service")
fi
measure "systemd-analyze security exposure of systemd/stevedore.service: $after (before hardening, $UNHARDENED_REV: ${before:-not in the history of this checkout})"
awk -v score="${after%% *}" 'BEGIN { exit !(score <= 3.0) }' || fail "the unit's exposure is $after, more than 3.0 (OK): a hardening setting was lost"
pass "0. exposure $after"

# --- 0b. install.sh refuses what it must not do --------------------------------------------
step "0b. install.sh refuses a binary that is not stevedore, and a purge of a system directory"
if in_box /src/scripts/install.sh --binary /bin/true --root "$ROOT" >/dev/null 2>&1; then fail "install.sh accepted /bin/true"; fi
in_box test ! -e /usr/local/bin/stevedore || fail "install.sh --binary /bin/true installed it"
if in_box /src/scripts/install.sh --purge --root /usr >/dev/null 2>&1; then fail "install.sh --purge --root /usr ran"; fi
in_box test -x /usr/bin/env || fail "purge touched /usr"
pass "0b. refused /bin/true and --purge --root /usr"

# --- 1. install, start, READY -----------------------------------------------------------
step "1. install.sh (systemctl start returns after READY=1)"
in_box /src/scripts/install.sh --binary /usr/local/bin/stevedore-under-test --root "$ROOT" >&2 \
  || fail "install.sh failed"
[ "$(prop ActiveState)" = active ] || fail "unit not active after install: $(prop ActiveState)"
[ "$(prop Type)" = notify ] || fail "unit is not Type=notify"
# READY=1 means the tree is up: the API answers at once, every root child running.
states=$(cli supervisor status --json | python3 -c 'import json,sys; t=json.load(sys.stdin); print(" ".join(c["id"]+"="+c["state"] for c in t["children"]))')
for child in store ssh-agent http reaper deployments health-watchdog; do
  [[ " $states " == *" $child=running "* ]] || fail "right after systemctl start, $child is not running: $states"
done
status_text=$(prop StatusText)
[[ "$status_text" == *"subsystems running"* ]] || fail "no STATUS= line: '$status_text'"
[[ "$(in_box systemctl status stevedore --no-pager)" == *'Status: "'* ]] || fail "systemctl status shows no Status line"
start_us=$(prop ExecMainStartTimestampMonotonic); ready_us=$(prop ActiveEnterTimestampMonotonic)
measure "start → READY: $(( (ready_us - start_us) / 1000 )) ms"
[ "$(prop WatchdogUSec)" = 30s ] || fail "WatchdogSec is $(prop WatchdogUSec), expected 30s"
# The hardening took effect: the daemon runs as stevedore (in the docker group), with no
# capabilities and a system call filter, and the state root is its.
main_pid=$(prop MainPID)
[ "$(in_box ps -o user= -p "$main_pid" | tr -d ' ')" = stevedore ] || fail "the daemon runs as $(in_box ps -o user= -p "$main_pid"), not stevedore"
caps=$(in_box grep -E '^Cap(Eff|Prm|Bnd):' "/proc/$main_pid/status" | awk '{print $2}' | sort -u)
[ "$caps" = 0000000000000000 ] || fail "the daemon has capabilities: $(in_box grep -E '^Cap' "/proc/$main_pid/status" | tr '\n' ' ')"
seccomp=$(in_box sed -n 's/^Seccomp:[[:space:]]*//p' "/proc/$main_pid/status")
[ "$seccomp" = 2 ] || fail "no system call filter on the daemon (Seccomp: $seccomp)"
[ "$(in_box stat -c %U "$ROOT/system/stevedore.db")" = stevedore ] || fail "the database is not owned by stevedore"
[ "$(in_box stat -c '%U %a' /run/stevedore)" = "stevedore 700" ] || fail "/run/stevedore is $(in_box stat -c '%U %a' /run/stevedore), expected stevedore 700"
pass "1. systemctl start returned after READY; STATUS: $status_text; user stevedore, no capabilities, seccomp filter"

step "deploying the example through the daemon"
cli repo add "$DEPLOYMENT" "$WORK/hello.git" >&2 || fail "repo add failed"
wait_for 180 "the example app answering on :$APP_PORT" app_answers
cid=$(workload_id)
[ -n "$cid" ] || fail "no workload container of project $PROJECT"
pass "deployment $DEPLOYMENT answers; workload container ${cid:0:12}"
[ "$(in_box stat -c %U "$ROOT/deployments/$DEPLOYMENT/repo/docker-compose.yaml")" = stevedore ] \
  || fail "the checkout written by the git worker is not owned by the daemon's user"

# --- 1b. a private repository over SSH, through the daemon's agent ---------------------------
step "1b. private repository over SSH: sshd on the host, the deploy key only in the agent"
# sshd listens on the systemd container's gateway: reachable from git workers (host network)
# and from the container itself (step 4b, local git mode).
gateway=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.Gateway}}{{end}}' "$NAME")
[ -n "$gateway" ] || fail "no gateway address for $NAME"
ssh_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$WORK/sshd" /run/sshd
ssh-keygen -q -t ed25519 -N '' -C systemd-e2e-host -f "$WORK/sshd/host_key"
: >"$WORK/sshd/authorized_keys"
cat >"$WORK/sshd/sshd_config" <<SSHD
Port $ssh_port
ListenAddress $gateway
HostKey $WORK/sshd/host_key
PidFile $WORK/sshd/sshd.pid
AuthorizedKeysFile $WORK/sshd/authorized_keys
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
LogLevel VERBOSE
SSHD
/usr/sbin/sshd -f "$WORK/sshd/sshd_config" -E "$WORK/sshd/sshd.log" || fail "sshd did not start"
sshd_up() { grep -q "Server listening on $gateway port $ssh_port" "$WORK/sshd/sshd.log"; }
wait_for 30 "sshd listening on $gateway:$ssh_port" sshd_up
cli repo add "$PRIVATE" "ssh://root@$gateway:$ssh_port$WORK/private.git" >&2 || fail "repo add $PRIVATE failed"
key=$(cli repo key "$PRIVATE" --quiet)
[[ "$key" == "ssh-ed25519 "* ]] || fail "no deploy key for $PRIVATE: '$key'"
# git-shell only, as a hosting service allows (PrivateRepositoryTests does the same).
printf 'command="git-shell -c \\"$SSH_ORIGINAL_COMMAND\\"",restrict %s\n' "$key" >"$WORK/sshd/authorized_keys"
agent_socket=$ROOT/run/agents/$PRIVATE/agent.sock
[ "$(in_box stat -c '%U %a' "$agent_socket")" = "stevedore 600" ] || fail "agent socket $agent_socket: $(in_box stat -c '%U %a' "$agent_socket" 2>&1)"
private_up() { cli deploy up "$PRIVATE" >/dev/null 2>&1 && serves "$PRIVATE_PORT" "version 1"; }
wait_for 180 "$PRIVATE (over SSH) serving version 1 on :$PRIVATE_PORT" private_up
grep -q "Accepted publickey for root" "$WORK/sshd/sshd.log" || fail "sshd logged no accepted key"
pass "1b. $PRIVATE deployed over SSH with the agent's key ($agent_socket)"

# --- 2. hung child: in-process repair ----------------------------------------------------
step "2. fault 'hang' in deployments/$DEPLOYMENT/poller (liveness deadline ${LIVENESS} s)"
path=deployments/$DEPLOYMENT/poller
before=$(node_field "$path" restarts_total)
t0=$(monotonic_us)
cli supervisor fault "$path" hang >&2 || fail "fault injection refused"
poller_restarted() { [ "$(node_field "$path" restarts_total)" -gt "$before" ] && [ "$(node_field "$path" state)" = running ]; }
wait_for 120 "$path restarted in-process" poller_restarted
t1=$(monotonic_us)
[ "$(prop NRestarts)" = 0 ] || fail "systemd restarted the daemon for a hung child (NRestarts=$(prop NRestarts))"
events=$(cli supervisor events --json --limit 200)
hang_to_restart=$(printf '%s' "$events" | python3 -c 'import json,sys
ev=json.load(sys.stdin); p=sys.argv[1]
inj=[e for e in ev if e["path"]==p and e["kind"]=="admin" and "fault hang" in (e.get("detail") or "")][-1]
hung=[e for e in ev if e["path"]==p and e["kind"]=="hung" and e["monotonic_seconds"]>=inj["monotonic_seconds"]][0]
st=[e for e in ev if e["path"]==p and e["kind"]=="started" and e["monotonic_seconds"]>hung["monotonic_seconds"]][0]
print("fault→hung detected %.1f s, hung→new incarnation started %.2f s, fault→restart %.1f s" % (
  hung["monotonic_seconds"]-inj["monotonic_seconds"], st["monotonic_seconds"]-hung["monotonic_seconds"],
  st["monotonic_seconds"]-inj["monotonic_seconds"]))' "$path") || fail "events do not show hung → started for $path"
measure "hang → in-process restart (deadline ${LIVENESS} s): $hang_to_restart (observed by polling: $(( (t1 - t0) / 1000 )) ms)"
[ "$(workload_id)" = "$cid" ] || fail "the workload container changed during the in-process repair"
app_answers || fail "the app stopped answering during the in-process repair"
pass "2. hung poller restarted in-process; NRestarts=0; workload untouched"

step "2b. fault 'hang' in health-watchdog itself: repaired in-process before WatchdogSec (its deadline is WatchdogSec/3)"
wd_before=$(node_field health-watchdog restarts_total)
cli supervisor fault health-watchdog hang >&2 || fail "fault injection refused"
watchdog_restarted() { [ "$(node_field health-watchdog restarts_total)" -gt "$wd_before" ] && [ "$(node_field health-watchdog state)" = running ]; }
wait_for 60 "health-watchdog restarted in-process" watchdog_restarted
sleep 32  # longer than WatchdogSec: pings must have resumed in time
[ "$(prop NRestarts)" = 0 ] || fail "a hang of the health watchdog made systemd restart the daemon (NRestarts=$(prop NRestarts))"
pass "2b. hung health-watchdog restarted in-process; NRestarts=0 after WatchdogSec"

# --- 3. stuck child: systemd restarts the daemon ------------------------------------------
step "3. fault 'ignore-cancellation' in store → stuck → watchdog pings stop → systemd restart"
old_pid=$(prop MainPID)
t_inject=$(monotonic_us)
cli supervisor fault store ignore-cancellation >&2 || fail "fault injection refused"
store_stuck() { [ "$(node_field store state)" = stuck ]; }
wait_for 120 "store stuck" store_stuck
t_stuck=$(monotonic_us)
health=$(in_box curl -s -o /dev/null -w '%{http_code}' "http://$LISTEN/healthz")
[ "$health" = 503 ] || fail "/healthz answered $health while store is stuck, expected 503"
daemon_restarted() { [ "$(prop NRestarts)" = 1 ] && [ "$(prop ActiveState)" = active ]; }
wait_for 180 "systemd restarting the daemon (NRestarts=1, active)" daemon_restarted
new_pid=$(prop MainPID)
[ "$new_pid" != "$old_pid" ] || fail "MainPID unchanged ($old_pid)"
# (no `| grep -q`: with pipefail, journalctl's SIGPIPE would fail the pipeline)
journal=$(in_box journalctl -u stevedore --no-pager)
[[ "$journal" == *"Watchdog timeout"* ]] || fail "journal does not show the watchdog timeout"
restart_start_us=$(prop ExecMainStartTimestampMonotonic); restart_ready_us=$(prop ActiveEnterTimestampMonotonic)
measure "fault → stuck: $(( (t_stuck - t_inject) / 1000 )) ms (liveness ${LIVENESS} s + 5 s shutdown timeout)"
measure "stuck → systemd restarts the daemon (new process started): $(( (restart_start_us - t_stuck) / 1000 )) ms (WatchdogSec=30s, RestartSec=5s)"
measure "stuck → daemon READY again: $(( (restart_ready_us - t_stuck) / 1000 )) ms; restart start → READY $(( (restart_ready_us - restart_start_us) / 1000 )) ms"
tree_back() { [ "$(cli supervisor status --json | python3 -c 'import json,sys; t=json.load(sys.stdin); print(all(c["state"]=="running" for c in t["children"]))')" = True ]; }
wait_for 60 "tree back with every root child running" tree_back
[ "$(in_box curl -s -o /dev/null -w '%{http_code}' "http://$LISTEN/healthz")" = 200 ] || fail "/healthz not 200 after the restart"
[ "$(prop NRestarts)" = 1 ] || fail "NRestarts is $(prop NRestarts), expected 1"
pass "3. watchdog restart: NRestarts=1, pid $old_pid → $new_pid, tree back"

# --- 3b. a trap crashes the process: Restart=on-failure ----------------------------------
step "3b. fault 'trap' in reaper → the process crashes → systemd restarts it (Restart=on-failure)"
old_pid=$(prop MainPID)
cli supervisor fault reaper trap >&2 || fail "fault injection refused"
restarted_twice() { [ "$(prop NRestarts)" = 2 ] && [ "$(prop ActiveState)" = active ]; }
wait_for 120 "systemd restarting the crashed daemon (NRestarts=2, active)" restarted_twice
[ "$(prop MainPID)" != "$old_pid" ] || fail "MainPID unchanged after the trap"
wait_for 60 "tree back after the crash" tree_back
pass "3b. crash restart: NRestarts=2, tree back"

# --- 4. workload untouched throughout ----------------------------------------------------
[ "$(workload_id)" = "$cid" ] || fail "the workload container id changed across the daemon restart"
app_answers || fail "the app does not answer after the daemon restart"
echo "Hello from Stevedore! version 2" >"$WORK/private-src/www/index.html"
commit_to "$WORK/private-src" "$WORK/private.git" "private v2"
private_v2() { serves "$PRIVATE_PORT" "version 2"; }
wait_for 180 "$PRIVATE serving version 2 after the restarts (poll interval 2 s)" private_v2
pass "4. workload container ${cid:0:12} kept its id and answers; a push over SSH deploys after both restarts"

# --- 4b. local git mode: git and ssh inside the sandbox; the agent under /run/stevedore --------
step "4b. local git mode, the agent under the unit's RuntimeDirectory (/run/stevedore)"
in_box sed -i -e '/^STEVEDORE_RUNTIME_DIR=/d' -e '/^STEVEDORE_GIT_MODE=/d' /etc/stevedore/stevedore.env
in_box sh -c 'echo STEVEDORE_GIT_MODE=local >>/etc/stevedore/stevedore.env'
in_box systemctl restart stevedore || fail "restart in local git mode failed"
wait_for 60 "tree back in local git mode" tree_back
agent_socket=/run/stevedore/agents/$PRIVATE/agent.sock
[ "$(in_box stat -c '%U %a' "$agent_socket")" = "stevedore 600" ] || fail "agent socket $agent_socket: $(in_box stat -c '%U %a' "$agent_socket" 2>&1)"
echo "Hello from Stevedore! version 3" >"$WORK/private-src/www/index.html"
commit_to "$WORK/private-src" "$WORK/private.git" "private v3"
private_v3() { serves "$PRIVATE_PORT" "version 3"; }
wait_for 180 "$PRIVATE serving version 3, fetched by a local git+ssh through $agent_socket" private_v3
# A repository under /home, owned by its user (readable by others, as the stevedore user must
# be able to read it): ProtectHome=read-only still shows it.
in_box useradd --create-home --shell /bin/sh e2e-alice
in_box chmod 0755 /home/e2e-alice
docker cp "$here/examples/hello" "$NAME:/home/e2e-alice/hello" >/dev/null
in_box sh -ec "cd /home/e2e-alice/hello
  sed -i 's/HELLO_PORT:-18080/HELLO_PORT:-$HOME_PORT/' docker-compose.yaml
  echo 'Hello from Stevedore! version home' >www/index.html
  chown -R e2e-alice: /home/e2e-alice/hello
  runuser -u e2e-alice -- git init -q -b main
  runuser -u e2e-alice -- git add -A
  runuser -u e2e-alice -- git -c user.name=alice -c user.email=alice@example.invalid commit -qm home
  runuser -u e2e-alice -- git init -q --bare -b main /home/e2e-alice/hello.git
  runuser -u e2e-alice -- git push -q /home/e2e-alice/hello.git main" || fail "cannot make the repository under /home"
cli repo add "$HOMEREPO" /home/e2e-alice/hello.git >&2 || fail "repo add $HOMEREPO failed"
home_up() { serves "$HOME_PORT" "version home"; }
wait_for 180 "$HOMEREPO (from /home/e2e-alice/hello.git) serving on :$HOME_PORT" home_up
[ "$(in_box stat -c %U "$ROOT/deployments/$HOMEREPO/repo/docker-compose.yaml")" = stevedore ] || fail "the local clone is not the daemon's"
cli repo remove "$HOMEREPO" >&2 || fail "repo remove $HOMEREPO failed"
in_box test ! -e "$ROOT/deployments/$HOMEREPO/repo" || fail "repo remove left the checkout of $HOMEREPO"
# (`systemctl restart` reset the counter: any automatic restart since would show here.)
[ "$(prop NRestarts)" = 0 ] || fail "systemd restarted the daemon in local git mode (NRestarts=$(prop NRestarts))"
pass "4b. local git+ssh in the sandbox via $agent_socket; a repository under /home deployed; repo remove deleted its checkout"

# --- 5. stop and uninstall ----------------------------------------------------------------
# What the limits left room for: the daemon's peak RSS, the whole container's peak (systemd,
# journald, the daemon, its log streamer, git, Compose; page cache included), from the host's
# cgroup of the container.
main_pid=$(prop MainPID)
box_id=$(docker inspect -f '{{.Id}}' "$NAME")
peak=""
for f in "/sys/fs/cgroup/memory/docker/$box_id/memory.max_usage_in_bytes" \
         "/sys/fs/cgroup/system.slice/docker-$box_id.scope/memory.peak" "/sys/fs/cgroup/docker/$box_id/memory.peak"; do
  if [ -r "$f" ]; then peak="$(( $(cat "$f") / 1048576 )) MiB"; break; fi
done
measure "memory: daemon VmHWM $(in_box sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/$main_pid/status") (since its last start); container peak ${peak:-unknown} (limits: ${LIMITS:-none})"
# libdispatch logs each worker thread whose nice value (0, or -4) it cannot set: the system call
# filter must allow setpriority (else errno=1 for every thread), and LimitNICE=-4 the -4 (else
# errno=13 once per process). A container without CAP_SYS_RESOURCE, like this one can be, cannot
# raise the limit above its own (0): then only the errno=1 lines count.
journal=$(in_box journalctl -u stevedore --no-pager)
# (STEVEDORE_SYSTEMD_JOURNAL=FILE keeps a copy of the unit's journal up to here.)
[ -z "${STEVEDORE_SYSTEMD_JOURNAL:-}" ] || printf '%s\n' "$journal" >"$STEVEDORE_SYSTEMD_JOURNAL"
nice_limit=$(in_box awk '/^Max nice priority/ {print $4}' "/proc/$main_pid/limits")
priority_lines=$(grep -c 'Failed to set thread priority' <<<"$journal" || true)
! grep -q 'Failed to set thread priority.*errno=1$' <<<"$journal" || fail "libdispatch's setpriority was refused (errno=1: the system call filter)"
if [ "$nice_limit" -ge 24 ]; then
  [ "$priority_lines" = 0 ] || fail "libdispatch could not set a thread's nice value $priority_lines times although LimitNICE=-4 applies"
else
  measure "RLIMIT_NICE in the container is $nice_limit (no CAP_SYS_RESOURCE to raise it to LimitNICE=-4): $priority_lines 'Failed to set thread priority … errno=13' lines, one per process"
fi

step "5. systemctl stop; an upgrade from an install that ran as root; install.sh --uninstall"
in_box systemctl stop stevedore || fail "systemctl stop failed"
[ "$(prop Result)" = success ] || fail "stop result: $(prop Result)"
[[ "$(in_box journalctl -u stevedore --no-pager)" == *"sent STOPPING=1"* ]] || fail "no STOPPING=1 in the journal"
[ "$(workload_id)" = "$cid" ] && app_answers || fail "stopping the daemon touched the workload"
# An install from before the stevedore user: the unhardened unit runs the daemon as root (back
# in worker mode), whose git workers write the checkout as root. (Without that revision in
# this checkout, the state root is made root's as such a daemon would have left it.)
in_box sed -i -e '/^STEVEDORE_GIT_MODE=/d' /etc/stevedore/stevedore.env
in_box sh -c "echo STEVEDORE_RUNTIME_DIR=$ROOT/run >>/etc/stevedore/stevedore.env"
if [ -s "$WORK/unhardened.service" ]; then
  in_box cp "$WORK/unhardened.service" /etc/systemd/system/stevedore.service
  in_box systemctl daemon-reload
  in_box systemctl start stevedore || fail "the unhardened unit did not start"
  [ "$(in_box ps -o user= -p "$(prop MainPID)" | tr -d ' ')" = root ] || fail "the unhardened unit does not run the daemon as root"
  echo "Hello from Stevedore! version 4" >"$WORK/private-src/www/index.html"
  commit_to "$WORK/private-src" "$WORK/private.git" "private v4"
  private_v4() { serves "$PRIVATE_PORT" "version 4"; }
  wait_for 180 "$PRIVATE serving version 4 from the daemon running as root" private_v4
  [ "$(in_box stat -c %U "$ROOT/deployments/$PRIVATE/repo/www/index.html")" = root ] || fail "the root daemon's worker did not write the checkout as root"
  upgraded_from="the unhardened unit ($UNHARDENED_REV) running as root"
else
  in_box chown -R root:root "$ROOT"
  upgraded_from="a state root owned by root"
fi
keys_before=$(in_box sha256sum "$ROOT/system/db.key" "$ROOT/system/admin.key")
in_box /src/scripts/install.sh --binary /usr/local/bin/stevedore-under-test --root "$ROOT" >&2 \
  || fail "install.sh over $upgraded_from failed"
[ "$(in_box ps -o user= -p "$(prop MainPID)" | tr -d ' ')" = stevedore ] || fail "after the upgrade the daemon does not run as stevedore"
left=$(in_box find "$ROOT" -path "$ROOT/shared" -prune -o -path "$ROOT/deployments/*/data" -prune -o ! -user stevedore -print)
[ -z "$left" ] || fail "after the upgrade, not the stevedore user's: $left"
[ "$(in_box sha256sum "$ROOT/system/db.key" "$ROOT/system/admin.key")" = "$keys_before" ] || fail "re-running install.sh changed the keys"
[[ "$(cli repo list)" == *"$DEPLOYMENT"* ]] || fail "re-running install.sh lost the deployment"
echo "Hello from Stevedore! version 5" >"$WORK/private-src/www/index.html"
commit_to "$WORK/private-src" "$WORK/private.git" "private v5"
private_v5() { serves "$PRIVATE_PORT" "version 5"; }
wait_for 180 "$PRIVATE serving version 5 after the upgrade (its worker, now stevedore, updates the root-made checkout)" private_v5
[ "$(workload_id)" = "$cid" ] || fail "the upgrade touched the workload"
pass "5a. upgrade over $upgraded_from: the state root is stevedore's (not data/, shared/), keys and deployments kept, a push deploys"
in_box systemctl stop stevedore || fail "systemctl stop failed"
in_box /src/scripts/install.sh --uninstall >&2 || fail "install.sh --uninstall failed"
in_box test ! -e /usr/local/bin/stevedore || fail "binary still installed after --uninstall"
in_box test ! -e /etc/systemd/system/stevedore.service || fail "unit still installed after --uninstall"
[ "$(in_box sha256sum "$ROOT/system/db.key" "$ROOT/system/admin.key")" = "$keys_before" ] || fail "--uninstall touched the keys"
[ "$(workload_id)" = "$cid" ] || fail "uninstalling touched the workload"
in_box /src/scripts/install.sh --purge --root "$ROOT" >&2 || fail "install.sh --purge failed"
in_box test ! -e "$ROOT" || fail "--purge left $ROOT"
pass "5. clean stop (Result=success, STOPPING=1 sent); uninstall kept keys and state; purge removed them"
step "all systemd end-to-end steps passed"
measure "test-systemd.sh took $SECONDS s (limits: ${LIMITS:-none})"
