#!/usr/bin/env bash
# Long fuzz runs (CI runs the same tests with a short budget inside scripts/test.sh).
#
#   scripts/fuzz.sh [ITERATIONS]     default 1,000,000 random inputs per fuzzed parser
#   STEVEDORE_SEED=N scripts/fuzz.sh replays one run (each run prints its seed)
#
# Fuzzed: the secret redactor (Tests/RedactionTests: random secrets, any bytes, random pieces,
# compared with a naive reference) and the log streamer's parsers of container output
# (Tests/LogStreamerTests/LogStreamerFuzzTests: the frame demultiplexer and the record
# assembler on random bytes, truncated headers, lengths of 2^32-1, invalid UTF-8, NULs, TTY
# streams, random pieces; well-formed frames must come out byte for byte). Release build with
# testing enabled (in .build-fuzz, so that the benchmarks' release build is left alone), so a
# million inputs take minutes, not an hour: measured 106 s and 316 s for a million each.
set -euo pipefail
cd "$(dirname "$0")/.."
export STEVEDORE_FUZZ_ITERATIONS=${1:-1000000}
[[ "$STEVEDORE_FUZZ_ITERATIONS" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: ITERATIONS must be a positive integer" >&2; exit 2; }
echo "[fuzz] $STEVEDORE_FUZZ_ITERATIONS inputs each (release build)" >&2
swift test -c release -Xswiftc -enable-testing --scratch-path .build-fuzz --filter 'RedactionFuzzTests|LogStreamerFuzzTests'
