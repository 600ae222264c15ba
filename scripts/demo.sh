#!/usr/bin/env bash
# The Stevedore demo: deploys the built-in example (examples/hello) from a local Git
# repository on the real Docker engine, then ships a change through Git and shows it live.
#
#   scripts/demo.sh          set up, build, start the daemon, deploy, update (safe to re-run)
#   scripts/demo.sh --stop   bring the example down and stop the demo daemon
#
# Everything lives in .demo/ in this checkout (state root, Git repositories, daemon log);
# `rm -rf .demo` after --stop forgets it all.
set -euo pipefail
cd "$(dirname "$0")/.."
here=$(pwd)
demo="$here/.demo"
port_api=${STEVEDORE_DEMO_API_PORT:-42107}
port_app=18080

export STEVEDORE_ROOT="$demo/root"
export STEVEDORE_LISTEN_ADDR="127.0.0.1:$port_api"
export STEVEDORE_POLL_INTERVAL=5s
export STEVEDORE_RECONCILE_INTERVAL=5s
# Git runs in worker containers; the image is built locally by setup.sh (no registry here).
export STEVEDORE_GIT_IMAGE=${STEVEDORE_GIT_IMAGE:-stevedore/git:latest}
export STEVEDORE_RUNTIME_DIR="$demo/run"

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf 'demo: error: %s\n' "$*" >&2; exit 1; }
bin() { "$here/.build/debug/stevedore" "$@"; }
daemon_alive() { [ -f "$demo/daemon.pid" ] && kill -0 "$(cat "$demo/daemon.pid")" 2>/dev/null; }

if [ "${1:-}" = "--stop" ]; then
  if daemon_alive; then
    say "bringing the example down"
    bin deploy down hello || true
    say "stopping the demo daemon (pid $(cat "$demo/daemon.pid"))"
    kill -TERM "$(cat "$demo/daemon.pid")"
    for _ in $(seq 1 50); do daemon_alive || break; sleep 0.2; done
    rm -f "$demo/daemon.pid"
  else
    echo "demo daemon is not running"
    # Containers may still run from an earlier daemon (a daemon restart never stops them).
    ids=$(docker ps -aq --filter label=com.docker.compose.project=stevedore-hello 2>/dev/null || true)
    [ -z "$ids" ] || { docker rm -f $ids >/dev/null; echo "removed leftover example containers"; }
  fi
  echo "stopped. State is kept in $demo (rm -rf .demo to forget it)."
  exit 0
fi
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi
[ $# -eq 0 ] || die "unknown argument '$1' (use no argument, --stop or --help)"

say "setting up (packages, Docker engine, base image)"
bash scripts/setup.sh

if [ -x .build/debug/stevedore ]; then
  say "building stevedore (up to date in seconds)"
else
  say "building stevedore (a first build takes about 8 minutes on 2 cores; progress below)"
fi
bash scripts/build-progress.sh --product stevedore || die "build failed"
[ -x .build/debug/stevedore ] || die "build failed"

mkdir -p "$demo"
if [ ! -d "$demo/hello.git" ]; then
  say "creating a Git repository from examples/hello"
  rm -rf "$demo/src"
  cp -r examples/hello "$demo/src"
  git -C "$demo/src" init -q -b main
  git -C "$demo/src" add -A
  git -C "$demo/src" -c user.name=demo -c user.email=demo@example.invalid commit -qm "hello v1"
  git init -q --bare -b main "$demo/hello.git"
  git -C "$demo/src" push -q "$demo/hello.git" main
fi

if daemon_alive; then
  say "the demo daemon is already running (pid $(cat "$demo/daemon.pid"))"
else
  say "starting stevedore daemon (state root $STEVEDORE_ROOT, API $STEVEDORE_LISTEN_ADDR, log .demo/daemon.log)"
  setsid nohup "$here/.build/debug/stevedore" daemon >>"$demo/daemon.log" 2>&1 </dev/null &
  echo $! >"$demo/daemon.pid"
  for _ in $(seq 1 100); do
    curl -sf "http://$STEVEDORE_LISTEN_ADDR/healthz" >/dev/null 2>&1 && break
    daemon_alive || { tail -20 "$demo/daemon.log" >&2; die "the daemon exited; see .demo/daemon.log"; }
    sleep 0.2
  done
  curl -sf "http://$STEVEDORE_LISTEN_ADDR/healthz" >/dev/null || die "the daemon did not answer on $STEVEDORE_LISTEN_ADDR"
fi

if bin repo list --json | grep -q '"name" : "hello"'; then
  say "hello is already registered; making sure it is up"
  bin status hello --json | grep -q '"enabled" : true' || bin deploy up hello
else
  say "stevedore repo add hello $demo/hello.git"
  bin repo add hello "$demo/hello.git"
fi

wait_for() {  # wait_for TEXT: until the app's page contains TEXT
  printf 'waiting for the app on http://127.0.0.1:%s/ ' "$port_app"
  for _ in $(seq 1 300); do
    if curl -sf "http://127.0.0.1:$port_app/" 2>/dev/null | grep -qF "$1"; then echo " ok"; return 0; fi
    printf '.'; sleep 1
  done
  echo; tail -30 "$demo/daemon.log" >&2; die "the app did not answer with '$1' within 300 s"
}

wait_healthy() {
  printf 'waiting for the healthcheck '
  for _ in $(seq 1 60); do
    if bin status hello --json | grep -q '"state" : "healthy"'; then echo " healthy"; return 0; fi
    printf '.'; sleep 1
  done
  echo " (still not healthy; see stevedore status hello)"
}

current=$(cat "$demo/src/www/index.html")
wait_for "$current"
wait_healthy
say "the app answers:"
curl -s "http://127.0.0.1:$port_app/"

say "stevedore status"
bin status
say "stevedore supervisor status"
bin supervisor status

n=$(( $(git -C "$demo/src" rev-list --count HEAD) + 1 ))
next="Hello from Stevedore! version $n ($(date +%H:%M:%S))"
say "committing a change to the example repository: '$next'"
echo "$next" >"$demo/src/www/index.html"
git -C "$demo/src" -c user.name=demo -c user.email=demo@example.invalid commit -qam "hello v$n"
git -C "$demo/src" push -q "$demo/hello.git" main
wait_for "$next"
say "after the next poll the new version answers:"
curl -s "http://127.0.0.1:$port_app/"
wait_healthy
bin status hello

cat <<MSG

Done. The example runs at http://127.0.0.1:$port_app/ and the daemon keeps it running.
Try it yourself:
  export STEVEDORE_ROOT=$STEVEDORE_ROOT STEVEDORE_LISTEN_ADDR=$STEVEDORE_LISTEN_ADDR
  .build/debug/stevedore supervisor status
  docker stop stevedore-hello-web-1     # the reconciler brings it back within ~5 s
Stop everything with:  scripts/demo.sh --stop
MSG
