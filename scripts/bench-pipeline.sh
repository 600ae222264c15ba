#!/usr/bin/env bash
# `scripts/bench.sh pipeline`: latencies of the deploy pipeline on the real engine (prints
# numbers, no pass/fail), with the built-in example (examples/hello, healthcheck every 2 s)
# and `x-stevedore: {health_check_timeout: 10}`:
#   - push → new version serving, through a signed GitHub webhook (N rounds), and through
#     polling at the 10 s minimum interval (N rounds);
#   - time to detect and roll back an unhealthy commit (the page moved: the healthcheck gets 404)
#     and a commit that never becomes healthy (healthcheck stuck in `starting`: the 10 s
#     timeout), from the push (webhook) to the end of the rolled-back run.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${BENCH_ROUNDS:-5}
bash scripts/setup.sh >/dev/null
swift build --product stevedore >/dev/null 2>&1 || { echo "build failed: run swift build" >&2; exit 1; }
bin="$(swift build --show-bin-path)/stevedore"

work=$(mktemp -d /tmp/stevedore-bench-pipeline.XXXXXX)
api_port=42191
app_port=18191
export STEVEDORE_ROOT="$work/root" STEVEDORE_LISTEN_ADDR="127.0.0.1:$api_port" STEVEDORE_RUNTIME_DIR="$work/run"
export STEVEDORE_GIT_IMAGE=stevedore/git:latest STEVEDORE_RECONCILE_INTERVAL=30s
pid=
cleanup() {
  [ -z "$pid" ] || { "$bin" deploy down bench >/dev/null 2>&1 || true; kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT

src="$work/src"
cp -r examples/hello "$src"
sed -i "s/HELLO_PORT:-18080/HELLO_PORT:-$app_port/" "$src/docker-compose.yaml"
printf '\nx-stevedore:\n  health_check_timeout: 10\n' >>"$src/docker-compose.yaml"
g() { git -C "$src" -c user.name=b -c user.email=b@example.invalid "$@"; }
g init -q -b main && g add -A && g commit -qm v1
git init -q --bare -b main "$work/remote.git" && g push -q "$work/remote.git" main

"$bin" daemon >"$work/daemon.log" 2>&1 &
pid=$!
until curl -sf "http://$STEVEDORE_LISTEN_ADDR/healthz" >/dev/null; do sleep 0.1; done
"$bin" repo add bench "$work/remote.git" --poll-interval 1h >/dev/null
until curl -sf "http://127.0.0.1:$app_port/" | grep -q "version 1"; do sleep 0.1; done
secret=$("$bin" repo webhook bench --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["secret"])')

ms() { date +%s%3N; }
delivery=0
# Sends a signed GitHub push delivery for the branch's head.
webhook() {
  delivery=$((delivery + 1))
  body="{\"ref\":\"refs/heads/main\",\"after\":\"$(g rev-parse HEAD)\"}"
  sig=$(printf '%s' "$body" | python3 -c 'import hmac,hashlib,sys; print(hmac.new(sys.argv[1].encode(), sys.stdin.buffer.read(), hashlib.sha256).hexdigest())' "$secret")
  curl -sf -o /dev/null -X POST -H "X-GitHub-Event: push" -H "X-GitHub-Delivery: bench-$delivery-$$" \
    -H "X-Hub-Signature-256: sha256=$sig" -H "Content-Type: application/json" --data-binary "$body" \
    "http://$STEVEDORE_LISTEN_ADDR/hooks/github/bench"
}
serving() { until curl -sf "http://127.0.0.1:$app_port/" | grep -qx "$1"; do sleep 0.05; done; }
stats() { sort -n | awk '{a[NR]=$1} END {printf "median %d ms, min %d, max %d (n=%d)\n", a[int((NR+1)/2)], a[1], a[NR], NR}'; }
# The newest run for commit $1: outcome (or "running"), its duration and end (ms).
run_of() { "$bin" history bench --limit 5 --json | python3 -c '
import json, sys
runs = [r for r in json.load(sys.stdin) if r.get("target_commit") == sys.argv[1]]
r = runs[0] if runs else None
print("running 0 0" if r is None or r.get("outcome") is None else
      "%s %d %d" % (r["outcome"], int((r["ended_at"] - r["started_at"]) * 1000), int(r["ended_at"] * 1000)))' "$1"; }

n=1
for _ in $(seq 1 "$rounds"); do
  n=$((n + 1)); echo "version $n" >"$src/www/index.html"; g commit -qam "v$n"; g push -q "$work/remote.git" main
  t0=$(ms); webhook; serving "version $n"; echo $(( $(ms) - t0 )) >>"$work/webhook"
done
stats <"$work/webhook" | sed 's/^/webhook returned → new version serving: /'

"$bin" repo set bench --poll-interval 10s >/dev/null
sleep 2
for _ in $(seq 1 "$rounds"); do
  n=$((n + 1)); echo "version $n" >"$src/www/index.html"; g commit -qam "v$n"
  t0=$(ms); g push -q "$work/remote.git" main; serving "version $n"; echo $(( $(ms) - t0 )) >>"$work/polling"
done
stats <"$work/polling" | sed 's/^/push → new version serving, polling every 10 s: /'
"$bin" repo set bench --poll-interval 1h >/dev/null

# Rollbacks: each bad commit is followed by a good one (the failed commit is not retried).
rollback() {  # $1: label; the bad change is already in the working tree
  g add -A; g commit -qm "bad $1"; g push -q "$work/remote.git" main
  bad=$(g rev-parse HEAD)
  t0=$(ms); webhook
  while :; do read -r outcome took ended < <(run_of "$bad"); [ "$outcome" != running ] && break; sleep 0.1; done
  [ "$outcome" = rolled_back ] || echo "unexpected outcome $outcome" >&2
  echo "$(( ended - t0 )) $took"
  git -C "$src" checkout -q HEAD~1 -- . ; n=$((n + 1)); echo "version $n" >"$src/www/index.html"; g commit -qam "v$n"; g push -q "$work/remote.git" main
  good=$(g rev-parse HEAD)
  webhook; serving "version $n"
  until [ "$(run_of "$good" | cut -d' ' -f1)" = succeeded ]; do sleep 0.1; done
}
for _ in $(seq 1 3); do
  mv "$src/www/index.html" "$src/www/other.html"; rollback "no page" >>"$work/unhealthy"  # httpd answers 404
done
awk '{print $1}' "$work/unhealthy" | stats | sed 's/^/unhealthy commit (healthcheck fails): push+webhook → rolled back: /'
awk '{print $2}' "$work/unhealthy" | stats | sed 's/^/  of which the run itself (fetch, build, up, detect, roll back): /'
for _ in $(seq 1 3); do
  sed -i 's/start_period: 2s/start_period: 300s/; s#"http://127.0.0.1:8080/"#"http://127.0.0.1:1/"#' "$src/docker-compose.yaml"
  rollback "never healthy" >>"$work/stuck"
done
awk '{print $1}' "$work/stuck" | stats | sed 's/^/never-healthy commit (10 s timeout): push+webhook → rolled back: /'
awk '{print $2}' "$work/stuck" | stats | sed 's/^/  of which the run itself: /'
