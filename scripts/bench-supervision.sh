#!/usr/bin/env bash
# Restart latencies of our supervisor next to OTP's and s6's, printed side by side.
#
#   scripts/bench-supervision.sh            (ROUNDS=3 by default; run from anywhere, as root)
#
# Each round runs, in this order: our Benchmarks/SupervisionBenchmarks (RESULT inproc_crash and
# RESULT process_kill), Benchmarks/otp/restart_bench.erl (RESULT otp_crash: OTP supervisor,
# logger level none), the same with OTP's default logging (RESULT otp_crash_logged), the same
# with a supervisor started afresh every 100 crashes (RESULT otp_crash_short: OTP walks its list
# of the period's restarts on every restart, so 10,000 restarts in one period slow it down
# more and more; this is its restart cost without that), and
# Benchmarks/s6/s6_restart_bench.c (RESULT s6_kill: s6-supervise, SIGKILL -> 'U' event).
# The table shows per case the median of the rounds' medians and the median of the rounds'
# p99s, and ours/theirs for both. Raw RESULT lines are printed as they come.
#
#   ROUNDS=N      rounds (default 3)
#   OURS_BIN=PATH use this binary instead of building SupervisionBenchmarks (it gets the
#                 notify-child path as its argument, like the real one)
#
# Installs erlang-base, s6 and libsystemd-dev (for notify-child) with apt-get if missing.
# Exits non-zero, saying which, if any program fails or prints no RESULT line.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || { echo "bench-supervision: ROUNDS must be a positive integer" >&2; exit 2; }

die() { printf 'bench-supervision: error: %s\n' "$*" >&2; exit 1; }

# --- packages -------------------------------------------------------------------------------
need=()
for pkg in erlang-base s6 libsystemd-dev; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
if [ "${#need[@]}" -gt 0 ]; then
  [ "$(id -u)" = 0 ] || die "missing packages (${need[*]}); run as root to install them"
  echo "bench-supervision: installing ${need[*]}" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
for cmd in cc erl erlc s6-supervise timeout; do
  command -v "$cmd" >/dev/null || die "$cmd not found"
done

# --- build ----------------------------------------------------------------------------------
work=$(mktemp -d /tmp/stevedore-bench-supervision.XXXXXX)
trap 'rm -rf "$work"' EXIT
cc -O2 -o "$work/notify-child" Tests/SupervisionTests/Fixtures/notify-child.c -lsystemd
# The s6 service loads libsystemd too (unused), so its exec costs what notify-child's does.
cc -O2 -o "$work/ready-child" Benchmarks/s6/ready-child.c -Wl,--no-as-needed -lsystemd
cc -O2 -o "$work/s6_restart_bench" Benchmarks/s6/s6_restart_bench.c
mkdir "$work/otp"
erlc -o "$work/otp" Benchmarks/otp/restart_bench.erl

if [ -n "${OURS_BIN:-}" ]; then
  ours=$OURS_BIN
  [ -f "$ours" ] && [ -x "$ours" ] || die "OURS_BIN=$ours is not an executable file"
else
  swift build -c release --product SupervisionBenchmarks >"$work/build.log" 2>&1 || {
    cat "$work/build.log" >&2
    die "swift build -c release --product SupervisionBenchmarks failed (output above)"
  }
  ours="$(swift build -c release --show-bin-path)/SupervisionBenchmarks"
fi

# --- runs -----------------------------------------------------------------------------------
# run LABEL TIMEOUT_S EXPECTED_NAMES -- COMMAND...: runs it, prints and keeps its RESULT lines
# (in $work/results), and fails loudly if it fails, times out or lacks an expected line.
run() {
  local label=$1 limit=$2 expected=$3 rc=0
  shift 4
  timeout -k 5 "$limit" "$@" >"$work/out" 2>"$work/err" || rc=$?
  if [ "$rc" != 0 ]; then
    echo "bench-supervision: $label failed (exit $rc$([ "$rc" = 124 ] && echo ", timed out after ${limit} s")): $*" >&2
    tail -n 20 "$work/err" >&2
    grep -a '^RESULT ' "$work/out" >&2 || true
    exit 1
  fi
  local name
  for name in $expected; do
    grep -aEq "^RESULT $name n=[0-9]+ median_us=[0-9.]+ p99_us=[0-9.]+( |\$)" "$work/out" || {
      echo "bench-supervision: $label printed no well-formed 'RESULT $name ...' line; its output:" >&2
      grep -av '^ \|^=\|^$' "$work/out" | tail -n 20 >&2
      tail -n 20 "$work/err" >&2
      exit 1
    }
  done
  grep -a '^RESULT ' "$work/out" | tee -a "$work/results"
}

: >"$work/results"
for round in $(seq 1 "$ROUNDS"); do
  echo "--- round $round/$ROUNDS"
  run "our SupervisionBenchmarks" 600 "inproc_crash process_kill" -- "$ours" "$work/notify-child"
  run "OTP restart_bench" 120 "otp_crash" -- erl -noshell -pa "$work/otp" -s restart_bench main
  run "OTP restart_bench (default logging)" 120 "otp_crash_logged" -- erl -noshell -pa "$work/otp" -s restart_bench main logged
  run "OTP restart_bench (short restart history)" 120 "otp_crash_short" -- erl -noshell -pa "$work/otp" -s restart_bench main short
  run "s6_restart_bench" 300 "s6_kill" -- "$work/s6_restart_bench" Benchmarks/s6/service "$work/ready-child"
done

# --- table ----------------------------------------------------------------------------------
echo
echo "restart latency in µs, $ROUNDS round(s): median = median of the rounds' medians, p99 = median of the rounds' p99s"
awk '
  function median(name, field,    n, i, j, v, t) {
    n = count[name]
    for (i = 1; i <= n; i++) v[i] = val[name, field, i]
    for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "-" }
  {
    name = $2; k = ++count[name]
    for (f = 3; f <= NF; f++) { split($f, kv, "="); val[name, kv[1], k] = kv[2] + 0 }
  }
  function row(label, o, t,    om, op, tm, tp) {
    om = median(o, "median_us"); op = median(o, "p99_us"); tm = median(t, "median_us"); tp = median(t, "p99_us")
    printf fmt, label, o, om, op, t, tm, tp, ratio(om, tm), ratio(op, tp)
  }
  END {
    fmt = "%-32s %-13s %9.1f %9.1f   %-17s %9.1f %9.1f   %7s %7s\n"
    printf "%-32s %-13s %9s %9s   %-17s %9s %9s   %15s\n", "", "ours", "", "", "theirs", "", "", "ours/theirs"
    printf "%-32s %-13s %9s %9s   %-17s %9s %9s   %7s %7s\n", "", "", "median", "p99", "", "median", "p99", "median", "p99"
    row("crash -> new instance", "inproc_crash", "otp_crash")
    row("  (OTP default logging)", "inproc_crash", "otp_crash_logged")
    row("  (OTP, short restart history)", "inproc_crash", "otp_crash_short")
    row("SIGKILL -> new process READY", "process_kill", "s6_kill")
  }' "$work/results"
