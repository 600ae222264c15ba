#!/usr/bin/env bash
# Long fuzz runs of every `*FuzzTests` suite: seeded randomized tests of the parsers of
# untrusted bytes. CI runs the same suites with the short budget (20,000 inputs per test, the
# default) among the unit tests of scripts/test.sh.
#
#   scripts/fuzz.sh [ITERATIONS]               one round, default 1,000,000 inputs per test
#   scripts/fuzz.sh --seconds N [ITERATIONS]   rounds of ITERATIONS (default 100,000) inputs,
#                                              each with a new seed, until N seconds are spent
#                                              (a round that starts before then is finished)
#   scripts/fuzz.sh --filter REGEX ...         only the suites matching REGEX (default FuzzTests)
#   STEVEDORE_SEED=N scripts/fuzz.sh ...       replays a run (every suite prints its seed; a
#                                              failure names its iteration)
#
# Release build with testing enabled, in .build-fuzz (the benchmarks' release build is left
# alone): a million inputs take minutes, not hours. Every run is logged to
# .build-fuzz/fuzz-<time>.log; the end prints each suite's seed and result.
#
# Targets (suite: parser; corpus seeds in Tests/<Target>/Fixtures/corpus/<name>/, real samples):
#   SSHAgentFuzzTests       SSHWireReader, SSHAgentProtocol.respond, the socket's AgentFrameDecoder
#                           (ssh-agent: recorded from ssh-add, ssh-keygen -Y sign, ssh to a real sshd)
#   LogStreamerFuzzTests    LogFrameDemuxer + LogRecordAssembler (Docker log frames, TTY streams),
#                           LogTimestamp, LogRecord(line:) (log-frames: engine /logs answers)
#   LogControlFuzzTests     LogStreamerMessageReader, the log streamer's control pipe (control)
#   ComposeConfigFuzzTests  ComposeConfig.parse (`compose config` output), StevedoreSettings
#                           (`x-stevedore`), YAMLLimits (compose-config: real `docker compose config`
#                           YAML and --format json; x-stevedore: Compose files)
#   GitOutputFuzzTests      GitScript.lsRemoteHead / reportedHead, GitHead (git-ls-remote,
#                           git-script, git-dir: real git output and .git files)
#   GitProtocolFuzzTests    PktLineDecoder, GitServerAdvertisement.Reader (v0/v1/v2, smart HTTP),
#                           GitLsRefs.Reader, GitLocalRefs' packed-refs scan (git-protocol: real
#                           git upload-pack / http-backend answers, SHA-1 and SHA-256)
#   EngineJSONFuzzTests     ContainerDetails, ContainerSummary, ContainerEvent and its line
#                           splitter, error bodies (engine-json: real Engine API answers)
#   APIRequestFuzzTests     the admin API's *Request bodies, Validation (api-bodies: CLI bodies)
#   NotifyMessageFuzzTests  sd_notify datagrams (notify: recorded from systemd-notify)
#   RedactionFuzzTests      the secret redactor (random secrets and inputs vs a reference)
#   WebhookFuzzTests        webhook bodies and headers (when present)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=""
filter="FuzzTests"
iterations=""
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) seconds=${2:-}; shift 2 || { echo "fuzz: --seconds needs a number" >&2; exit 2; } ;;
    --filter) filter=${2:-}; shift 2 || { echo "fuzz: --filter needs a pattern" >&2; exit 2; } ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) iterations=$1; shift ;;
  esac
done
if [ -n "$seconds" ] && ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz: --seconds must be a positive whole number of seconds, not '$seconds'" >&2; exit 2
fi
iterations=${iterations:-$([ -n "$seconds" ] && echo 100000 || echo 1000000)}
[[ "$iterations" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz: ITERATIONS must be a positive integer, not '$iterations'" >&2; exit 2; }
[ -n "$filter" ] || { echo "fuzz: --filter needs a pattern" >&2; exit 2; }

build=(-c release -Xswiftc -enable-testing --scratch-path .build-fuzz)
echo "[fuzz] building (release, testing enabled, .build-fuzz)" >&2
swift build "${build[@]}" --build-tests
mkdir -p .build-fuzz
log=.build-fuzz/fuzz-$(date +%Y%m%d-%H%M%S).log
start=$(date +%s)
round=0
status=0
export STEVEDORE_FUZZ_ITERATIONS=$iterations
while :; do
  round=$((round + 1))
  echo "[fuzz] round $round: $iterations inputs per test, suites matching '$filter' (log: $log)" >&2
  if ! swift test "${build[@]}" --skip-build --filter "$filter" 2>&1 | tee -a "$log"; then status=1; fi
  [ $status -eq 0 ] || break
  [ -n "$seconds" ] && [ $(($(date +%s) - start)) -lt "$seconds" ] && [ -z "${STEVEDORE_SEED:-}" ] || break
done
echo "[fuzz] $round round(s) of $iterations inputs per test in $(( $(date +%s) - start )) s" >&2
grep -E "seed [0-9]+ \(replay|Suite .*(passed|failed) after" "$log" | sed 's/^/[fuzz] /' >&2 || true
exit $status
