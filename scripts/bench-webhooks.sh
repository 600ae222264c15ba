#!/usr/bin/env bash
# `scripts/bench.sh webhooks`: the daemon's memory under a flood of unauthenticated webhook
# deliveries (prints numbers, no pass/fail). A daemon with one deployment (examples/hello) and
# a webhook secret; its idle RSS; then BENCH_ROUNDS rounds (default 3) of BENCH_CLIENTS
# (default 60) parallel POSTs of a BENCH_BODY_MIB (default 5) MiB body with a wrong signature
# to /hooks/github/NAME, while RSS is sampled every 20 ms (and the kernel's peak, VmHWM, is
# reset before each round) and /healthz and /api/status are asked in a loop. Prints idle RSS,
# peak RSS per round and as a multiple of idle, how the deliveries were answered (status
# codes), and how many health/status requests answered and their slowest answer.
# BENCH_EVENT=ping sends pings instead of pushes (a push's body is kept until it is verified,
# a ping's is not: the difference is what the kept bodies cost).
# STEVEDORE_BIN=path measures another build (e.g. an older binary, for a before/after).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${BENCH_ROUNDS:-3}
clients=${BENCH_CLIENTS:-60}
mib=${BENCH_BODY_MIB:-5}
if [ -n "${STEVEDORE_BIN:-}" ]; then
  bin=$STEVEDORE_BIN
else
  bash scripts/setup.sh >/dev/null
  swift build --product stevedore >/dev/null 2>&1 || { echo "build failed: run swift build" >&2; exit 1; }
  bin="$(swift build --show-bin-path)/stevedore"
fi

work=$(mktemp -d /tmp/stevedore-bench-webhooks.XXXXXX)
api_port=42192
app_port=18192
export STEVEDORE_ROOT="$work/root" STEVEDORE_LISTEN_ADDR="127.0.0.1:$api_port" STEVEDORE_RUNTIME_DIR="$work/run"
export STEVEDORE_GIT_IMAGE=${STEVEDORE_GIT_IMAGE:-stevedore/git:latest} STEVEDORE_RECONCILE_INTERVAL=30s
pid=
cleanup() {
  touch "$work/stop"
  [ -z "$pid" ] || { "$bin" deploy down bench >/dev/null 2>&1 || true; kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT

src="$work/src"
cp -r examples/hello "$src"
sed -i "s/HELLO_PORT:-18080/HELLO_PORT:-$app_port/" "$src/docker-compose.yaml"
g() { git -C "$src" -c user.name=b -c user.email=b@example.invalid "$@"; }
g init -q -b main && g add -A && g commit -qm v1
git init -q --bare -b main "$work/remote.git" && g push -q "$work/remote.git" main

"$bin" daemon >"$work/daemon.log" 2>&1 &
pid=$!
until curl -sf "http://$STEVEDORE_LISTEN_ADDR/healthz" >/dev/null; do sleep 0.1; done
"$bin" repo add bench "$work/remote.git" --poll-interval 1h >/dev/null
until curl -sf "http://127.0.0.1:$app_port/" | grep -q "version 1"; do sleep 0.1; done
"$bin" repo webhook bench >/dev/null
key=$(cat "$STEVEDORE_ROOT/system/admin.key")
head -c $((mib << 20)) /dev/zero | tr '\0' ' ' >"$work/body"

rss() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }
hwm() { awk '/^VmHWM:/ {print $2}' "/proc/$pid/status"; }
sleep 10
idle=$(rss)
echo "daemon RSS idle, one deployment:            $idle KiB"

# Asks $1 in a loop until $work/stop exists; one line per answer: code and seconds.
probe() {
  while [ ! -e "$work/stop" ]; do
    curl -s -o /dev/null -m 30 -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $key" "$1" || echo "000 30"
    sleep 0.1
  done
}
for round in $(seq 1 "$rounds"); do
  rm -f "$work/stop" "$work"/code.* "$work/probe."*
  echo 5 >"/proc/$pid/clear_refs" 2>/dev/null || true  # resets VmHWM (proc(5))
  probe "http://$STEVEDORE_LISTEN_ADDR/healthz" >"$work/probe.healthz" &
  watchers=($!)
  probe "http://$STEVEDORE_LISTEN_ADDR/api/status" >"$work/probe.status" &
  watchers+=($!)
  ( while [ ! -e "$work/stop" ]; do rss; sleep 0.02; done ) >"$work/samples" &
  watchers+=($!)
  t0=$(date +%s%3N)
  senders=()
  for i in $(seq 1 "$clients"); do
    curl -s -o /dev/null -m 120 -w '%{http_code}\n' -X POST -H 'Expect:' -H 'Content-Type: application/json' \
      -H "X-GitHub-Event: ${BENCH_EVENT:-push}" -H "X-GitHub-Delivery: flood-$round-$i" -H "X-Hub-Signature-256: sha256=$(printf '%064d' 0)" \
      --data-binary @"$work/body" "http://$STEVEDORE_LISTEN_ADDR/hooks/github/bench" >"$work/code.$i" 2>/dev/null &
    senders+=($!)
  done
  wait "${senders[@]}" 2>/dev/null || true
  elapsed=$(( $(date +%s%3N) - t0 ))
  touch "$work/stop"
  wait "${watchers[@]}" 2>/dev/null || true
  peak=$(sort -n "$work/samples" | tail -1)
  high=$(hwm)
  [ "${high:-0}" -gt "${peak:-0}" ] && peak=$high
  codes=$(cat "$work"/code.* | sort | uniq -c | awk '{printf "%s×%s ", $2, $1}')
  for p in healthz status; do
    read -r n ok worst < <(awk '{n++; if ($1 == 200) ok++; if ($2 > w) w = $2} END {printf "%d %d %.3f\n", n, ok, w}' "$work/probe.$p")
    eval "probe_$p='$ok/$n answered 200, slowest ${worst} s'"
  done
  printf 'round %d: %d × %d MiB in %d ms; peak RSS %d KiB = %s × idle; answers %s\n' "$round" "$clients" "$mib" "$elapsed" \
    "$peak" "$(awk -v p="$peak" -v i="$idle" 'BEGIN {printf "%.2f", p / i}')" "$codes"
  echo "         /healthz during the flood: $probe_healthz; /api/status: $probe_status"
done
sleep 5
echo "daemon RSS 5 s after the last round:        $(rss) KiB"
