#!/usr/bin/env bash
# Runs every test target of Stevedore: sets up what is missing (scripts/setup.sh: packages,
# dockerd, local images), builds, runs `swift test`. Exits non-zero on any failure.
#
#   scripts/test.sh                 all tests
#   scripts/test.sh --filter NAME   only tests matching NAME (passed to `swift test`; skips the
#                                   systemd end-to-end test)
#
# After `swift test`, scripts/test-systemd.sh runs the daemon under a real systemd (PID 1 in a
# container built by scripts/build-systemd-image.sh, cached as a local image), with the shipped
# hardened unit, on a Raspberry Pi Zero 2 W's budget (`--cpus 0.5 --memory 512m`; about 3 min).
#
# The `*FuzzTests` suites run among the unit tests with their CI budget (20,000 inputs per
# test, fewer for the slow YAML and stream ones: FuzzRun.iterations(ci:)); scripts/fuzz.sh
# runs them at length. A full run ignores an inherited STEVEDORE_FUZZ_ITERATIONS; with
# `--filter` it is kept, to replay a failure (STEVEDORE_SEED=… STEVEDORE_FUZZ_ITERATIONS=…).
set -euo pipefail
cd "$(dirname "$0")/.."

start=$(date +%s)
bash scripts/setup.sh

# Formatting is part of the suite: the repository's .swift-format, checked strictly (fix with
# `swift format -i -r -p Sources Tests Benchmarks Package.swift`).
echo "[test] swift format lint --strict" >&2
swift format lint --strict -r -p Sources Tests Benchmarks Package.swift

echo "[test] building (debug, with tests)" >&2
swift build --build-tests
STEVEDORE_BIN="$(swift build --show-bin-path)/stevedore"
export STEVEDORE_BIN

# A test process that crashes (a trap, or a SIGBUS inside a C library, as CI saw once in
# libsqlcipher) leaves a core that gdb can unwind where Swift's backtracer stops at the first
# C frame: as root, the kernel's core_pattern pipes cores to scripts/core-keeper.sh, which keeps
# only the test process's (the drills crash children on purpose), and a failed
# step prints every thread's backtrace (gdb, with the test that was running). The machine's
# own core_pattern is put back at exit.
# The kernel runs the handler in the first mount namespace, which may not see this checkout
# (seen here: /work was not there, /tmp was), so it and the cores live in /tmp.
cores=/tmp/stevedore-test-cores
saved_core_pattern=
if [ "$(id -u)" = 0 ] && [ -w /proc/sys/kernel/core_pattern ] && command -v gdb >/dev/null; then
  saved_core_pattern=$(cat /proc/sys/kernel/core_pattern)
  rm -rf "$cores"
  install -m 0755 scripts/core-keeper.sh /tmp/stevedore-core-keeper.sh
  echo "|/tmp/stevedore-core-keeper.sh $cores %P %E" >/proc/sys/kernel/core_pattern
  trap 'printf "%s\n" "$saved_core_pattern" >/proc/sys/kernel/core_pattern' EXIT
  ulimit -c unlimited
fi
# Runs `swift test ARGS…`; on failure prints the backtraces of kept cores, then fails.
run_tests() {
  swift test "$@" && return 0
  local status=$? core
  for core in "$cores"/core.*; do
    [ -f "$core" ] || continue
    echo "[test] the test process crashed: backtraces from $core" >&2
    timeout 600 gdb -batch -nx -ex 'thread apply all bt 40' "$(swift build --show-bin-path)/stevedorePackageTests.xctest" "$core" 2>/dev/null |
      grep -E '^(#|Thread)' | cut -c1-400 >&2 || true
    rm -f "$core"
  done
  return "$status"
}

if [ $# -eq 0 ]; then
  unset STEVEDORE_FUZZ_ITERATIONS
  # Two runs: the end-to-end suites block test threads while they wait for the CLI, git and
  # Compose (synchronous child processes), which on a 2-core machine can starve the other
  # suites' async timeouts (e.g. a 60 s ProcessRunner timeout firing spuriously).
  echo "[test] unit and integration tests" >&2
  run_tests --skip-build --skip '^EndToEndTests\.'
  echo "[test] end-to-end tests" >&2
  run_tests --skip-build --filter '^EndToEndTests\.' --skip '^EndToEndTests\.EngineRestartTests'
  # Alone: restarting a second dockerd can delete the host's docker0 for a moment (the drill
  # puts it back), which would fail another suite's build step running at the same time.
  echo "[test] engine-restart drills (a private dockerd, killed and restarted)" >&2
  run_tests --skip-build --filter '^EndToEndTests\.EngineRestartTests'
  echo "[test] systemd end-to-end test (scripts/test-systemd.sh)" >&2
  bash scripts/test-systemd.sh
else
  echo "[test] running tests" >&2
  run_tests --skip-build "$@"
fi
echo "[test] done in $(( $(date +%s) - start )) s" >&2
