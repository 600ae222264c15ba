#!/usr/bin/env bash
# End-to-end test of Stevedore under a real systemd (PID 1 in a container), with the real unit
# file (systemd/stevedore.service, installed by scripts/install.sh) and the real binary, the
# host's Docker socket bind-mounted so that a real deployment runs. Called by scripts/test.sh;
# prints PASS/FAIL per step and the measurements; exits non-zero on the first failure.
#
#   scripts/test-systemd.sh            (STEVEDORE_BIN: the binary under test, default debug build)
#
# Steps (issue 4):
#   1. install.sh: `systemctl start` returns only after READY=1 (the tree answers at once);
#      `systemctl status` shows the STATUS= line; start → READY time measured
#   2. a hung child (fault `hang` in deployments/<name>/poller) is repaired in-process:
#      NRestarts stays 0 and the child's restart count grows; hang → restart time measured
#   2b. a hang of the health watchdog itself is repaired in-process before WatchdogSec=
#   3. a child that ignores cancellation (fault in `store`) → stuck → watchdog pings stop →
#      systemd restarts the daemon (NRestarts = 1, journal: watchdog timeout) → tree back;
#      stuck → systemd restart time measured
#   3b. a trap (fault `trap`) crashes the process; Restart=on-failure brings it back
#   4. throughout, the workload container keeps its id and keeps answering
#   5. systemctl stop is clean; install.sh again keeps keys and state; --uninstall keeps state;
#      --purge removes it
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)
# shellcheck source=scripts/systemd-container.sh
source scripts/systemd-container.sh

BIN=${STEVEDORE_BIN:-$here/.build/debug/stevedore}
NAME=stevedore-systemd-e2e
# Host path, mounted at the same path in the container (Compose bind mounts are resolved by the
# host's dockerd). Not under /tmp, /var/tmp or /home, wherever this checkout lives: the unit has
# PrivateTmp= and ProtectHome=.
WORK=/var/lib/stevedore-systemd-e2e
ROOT=$WORK/root
DEPLOYMENT=sdhello
PROJECT=stevedore-$DEPLOYMENT
APP_PORT=18093
LISTEN=127.0.0.1:42107
LIVENESS=8

step() { printf '[systemd-test] %s\n' "$*" >&2; }
pass() { printf '[systemd-test] PASS %s\n' "$*" >&2; }
fail() {
  printf '[systemd-test] FAIL %s\n' "$*" >&2
  if docker inspect "$NAME" >/dev/null 2>&1; then
    echo "--- systemctl status stevedore" >&2
    docker exec "$NAME" systemctl status stevedore --no-pager -l >&2 2>&1 || true
    echo "--- journalctl -u stevedore (last 60 lines)" >&2
    docker exec "$NAME" journalctl -u stevedore --no-pager -n 60 >&2 2>&1 || true
  fi
  exit 1
}
measure() { printf '[systemd-test] MEASURE %s\n' "$*" >&2; }

[ -x "$BIN" ] || fail "no stevedore binary at $BIN (build first, or set STEVEDORE_BIN)"

cleanup() {
  sdc_stop "$NAME"
  ids=$(docker ps -aq --filter "label=com.docker.compose.project=$PROJECT" 2>/dev/null || true)
  [ -z "$ids" ] || docker rm -f $ids >/dev/null 2>&1 || true
  docker network rm "${PROJECT}_default" >/dev/null 2>&1 || true
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
workload_id() { docker ps -q --no-trunc --filter "label=com.docker.compose.project=$PROJECT"; }
monotonic_us() { python3 -c 'import time; print(int(time.monotonic()*1e6))'; }

# --- setup ------------------------------------------------------------------------------
step "preparing the example repository and the systemd container"
mkdir -p "$WORK"
cp -r examples/hello "$WORK/src"
sed -i "s/HELLO_PORT:-18080/HELLO_PORT:-$APP_PORT/" "$WORK/src/docker-compose.yaml"
git -C "$WORK/src" init -q -b main
git -C "$WORK/src" add -A
git -C "$WORK/src" -c user.name=e2e -c user.email=e2e@example.invalid commit -qm "hello for systemd e2e"
git init -q --bare -b main "$WORK/hello.git"
git -C "$WORK/src" push -q "$WORK/hello.git" main

sdc_start "$NAME" -v "$BIN:/usr/local/bin/stevedore-under-test:ro" -v "$here:/src:ro" -v "$WORK:$WORK" \
  || fail "systemd container did not boot"
in_box mkdir -p /etc/stevedore
docker exec -i "$NAME" sh -c "cat >/etc/stevedore/stevedore.env" <<EOF
STEVEDORE_LISTEN_ADDR=$LISTEN
STEVEDORE_POLL_INTERVAL=2s
STEVEDORE_GIT_IMAGE=stevedore/git:latest
STEVEDORE_RUNTIME_DIR=$ROOT/run
STEVEDORE_LIVENESS_DEADLINE=${LIVENESS}s
STEVEDORE_FAULT_INJECTION=1
EOF

# --- 0. install.sh refuses what it must not do ---------------------------------------------
step "0. install.sh refuses a binary that is not stevedore, and a purge of a system directory"
if in_box /src/scripts/install.sh --binary /bin/true --root "$ROOT" >/dev/null 2>&1; then fail "install.sh accepted /bin/true"; fi
in_box test ! -e /usr/local/bin/stevedore || fail "install.sh --binary /bin/true installed it"
if in_box /src/scripts/install.sh --purge --root /usr >/dev/null 2>&1; then fail "install.sh --purge --root /usr ran"; fi
in_box test -x /usr/bin/env || fail "purge touched /usr"
pass "0. refused /bin/true and --purge --root /usr"

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
pass "1. systemctl start returned after READY; STATUS: $status_text"

step "deploying the example through the daemon"
cli repo add "$DEPLOYMENT" "$WORK/hello.git" >&2 || fail "repo add failed"
wait_for 180 "the example app answering on :$APP_PORT" app_answers
cid=$(workload_id)
[ -n "$cid" ] || fail "no workload container of project $PROJECT"
pass "deployment $DEPLOYMENT answers; workload container ${cid:0:12}"

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
pass "4. workload container ${cid:0:12} kept its id and answers"

# --- 5. stop and uninstall ----------------------------------------------------------------
step "5. systemctl stop, install.sh --uninstall"
in_box systemctl stop stevedore || fail "systemctl stop failed"
[ "$(prop Result)" = success ] || fail "stop result: $(prop Result)"
[[ "$(in_box journalctl -u stevedore --no-pager)" == *"sent STOPPING=1"* ]] || fail "no STOPPING=1 in the journal"
[ "$(workload_id)" = "$cid" ] && app_answers || fail "stopping the daemon touched the workload"
keys_before=$(in_box sha256sum "$ROOT/system/db.key" "$ROOT/system/admin.key")
in_box /src/scripts/install.sh --binary /usr/local/bin/stevedore-under-test --root "$ROOT" >&2 \
  || fail "re-running install.sh failed"
[ "$(in_box sha256sum "$ROOT/system/db.key" "$ROOT/system/admin.key")" = "$keys_before" ] || fail "re-running install.sh changed the keys"
[[ "$(cli repo list)" == *"$DEPLOYMENT"* ]] || fail "re-running install.sh lost the deployment"
in_box /src/scripts/install.sh --uninstall >&2 || fail "install.sh --uninstall failed"
in_box test ! -e /usr/local/bin/stevedore || fail "binary still installed after --uninstall"
in_box test ! -e /etc/systemd/system/stevedore.service || fail "unit still installed after --uninstall"
[ "$(in_box sha256sum "$ROOT/system/db.key" "$ROOT/system/admin.key")" = "$keys_before" ] || fail "--uninstall touched the keys"
[ "$(workload_id)" = "$cid" ] || fail "uninstalling touched the workload"
in_box /src/scripts/install.sh --purge --root "$ROOT" >&2 || fail "install.sh --purge failed"
in_box test ! -e "$ROOT" || fail "--purge left $ROOT"
pass "5. clean stop (Result=success, STOPPING=1 sent); re-install kept keys and state; uninstall kept them; purge removed them"
step "all systemd end-to-end steps passed"
