#!/usr/bin/env bash
# Benchmarks that print numbers (no pass/fail).
#
#   scripts/bench.sh               the daemon's idle memory with one deployment, the time from
#                                  `repo add` to the app answering, and from a pushed commit to
#                                  the new version answering (poll interval 2 s); real engine
#   scripts/bench.sh supervision   restart latencies beside Erlang/OTP's supervisor and
#                                  s6-supervise (scripts/bench-supervision.sh; ROUNDS=3): 10,000
#                                  in-process crashes, 200 SIGKILLs of a process child → READY=1
#   scripts/bench.sh git           cost of one check of an unchanged remote over SSH, release
#                                  build: worker container vs local `git ls-remote` vs the
#                                  in-process check, side by side (100 checks each); agent memory
#   scripts/bench.sh memory        the idle daemon, release build stripped as installed: RSS,
#                                  anonymous memory, PSS of the daemon + its process children
#                                  at 0/10/100 deployments; CPU per minute with 10 deployments
#                                  polled hourly and every 10 s (scripts/bench-memory.sh)
#   scripts/bench.sh redaction     secret redaction throughput: 50 secrets, 64 MiB of log lines
#   scripts/bench.sh logs          the log streamer beside `docker logs -f > file`: lines/s,
#                                  CPU s/MiB, USS with 50 containers (scripts/bench-logs.sh)
#   scripts/bench.sh pipeline      push → serving through a webhook and through 10 s polling;
#                                  time to detect and roll back a bad commit (10 s health timeout)
#   scripts/bench.sh webhooks      the daemon's RSS, idle and at its peak, while 60 parallel 5 MiB
#                                  webhook deliveries with a wrong signature arrive (3 rounds), and
#                                  whether /healthz and /api/status answer meanwhile
#                                  (scripts/bench-webhooks.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "supervision" ]; then
  bash scripts/setup.sh >/dev/null
  exec bash scripts/bench-supervision.sh
fi
if [ "${1:-}" = "redaction" ]; then
  swift build -c release --product RedactionBenchmarks >/dev/null 2>&1 || { echo "build failed: run swift build -c release --product RedactionBenchmarks" >&2; exit 1; }
  exec "$(swift build -c release --show-bin-path)/RedactionBenchmarks"
fi
if [ "${1:-}" = "git" ]; then
  exec bash scripts/bench-git.sh
fi
if [ "${1:-}" = "memory" ]; then
  exec bash scripts/bench-memory.sh
fi
if [ "${1:-}" = "logs" ]; then
  exec bash scripts/bench-logs.sh
fi
if [ "${1:-}" = "pipeline" ]; then
  exec bash scripts/bench-pipeline.sh
fi
if [ "${1:-}" = "webhooks" ]; then
  exec bash scripts/bench-webhooks.sh
fi
[ $# -eq 0 ] || { echo "usage: scripts/bench.sh [supervision|git|pipeline|redaction|logs|webhooks]" >&2; exit 2; }
bash scripts/setup.sh >/dev/null
swift build --product stevedore >/dev/null 2>&1 || { echo "build failed: run swift build" >&2; exit 1; }
bin="$(swift build --show-bin-path)/stevedore"

work=$(mktemp -d /tmp/stevedore-bench.XXXXXX)
api_port=42190
app_port=18190
export STEVEDORE_ROOT="$work/root" STEVEDORE_LISTEN_ADDR="127.0.0.1:$api_port"
export STEVEDORE_POLL_INTERVAL=2s STEVEDORE_RECONCILE_INTERVAL=30s STEVEDORE_RUNTIME_DIR="$work/run"
export STEVEDORE_GIT_IMAGE=${STEVEDORE_GIT_IMAGE:-stevedore/git:latest}
pid=
cleanup() {
  [ -z "$pid" ] || { "$bin" deploy down bench >/dev/null 2>&1 || true; kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT

cp -r examples/hello "$work/src"
sed -i "s/HELLO_PORT:-18080/HELLO_PORT:-$app_port/" "$work/src/docker-compose.yaml"
git -C "$work/src" init -q -b main && git -C "$work/src" add -A
git -C "$work/src" -c user.name=b -c user.email=b@example.invalid commit -qm v1
git init -q --bare -b main "$work/remote.git" && git -C "$work/src" push -q "$work/remote.git" main

"$bin" daemon >"$work/daemon.log" 2>&1 &
pid=$!
until curl -sf "http://$STEVEDORE_LISTEN_ADDR/healthz" >/dev/null; do sleep 0.1; done
echo "daemon RSS at start, no deployments:   $(ps -o rss= -p "$pid") KiB"

ms() { date +%s%3N; }
t0=$(ms)
"$bin" repo add bench "$work/remote.git" >/dev/null
until curl -sf "http://127.0.0.1:$app_port/" | grep -q "version 1"; do sleep 0.1; done
echo "repo add → app answers (clone, build, up): $(( $(ms) - t0 )) ms"

echo "v2" >"$work/src/www/index.html"
git -C "$work/src" -c user.name=b -c user.email=b@example.invalid commit -qam v2
t0=$(ms)
git -C "$work/src" push -q "$work/remote.git" main
until curl -sf "http://127.0.0.1:$app_port/" | grep -q "v2"; do sleep 0.1; done
echo "push → new version answers (poll 2 s):  $(( $(ms) - t0 )) ms"

sleep 20
echo "daemon RSS idle, one deployment (20 s): $(ps -o rss= -p "$pid") KiB"
t0=$(ms)
for _ in $(seq 1 50); do "$bin" status bench --json >/dev/null; done
echo "stevedore status NAME --json:           $(( ($(ms) - t0) / 50 )) ms per call (mean of 50)"
