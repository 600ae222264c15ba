#!/usr/bin/env bash
# The power-cut drill at length (issue 13, fault 1). scripts/test.sh runs it with 100 cuts as
# EndToEndTests.PowerCutTests; this runs more, against the real Docker engine:
#
#   scripts/drill-power-cut.sh [CUTS] [SEED]     default 400 cuts, a random seed (printed)
#   STEVEDORE_SEED=N scripts/drill-power-cut.sh  replays one run's schedule
#
# Each cut is a SIGKILL of the daemon at a moment drawn from the seeded schedule, during
# `repo add`/`remove`, deploys, rollbacks, `param set` + `deploy up`, webhook bursts, or the
# recovery after an earlier cut; the daemon is restarted at once. After each cut: a copy of the
# database passes `PRAGMA integrity_check`, every deployment is registered with its key or not at
# all, no file is half-written, nothing acknowledged is lost; after each restart: runs left open
# are `interrupted`, no orphaned `docker compose` or git worker runs beside the new daemon, no
# leftovers; after each round of cuts the deployments converge on their branch heads. Prints
# MEASURE lines: kills injected and survived, workload downtime, data lost, time to reconverge.
# Needs what scripts/test.sh needs (root, dockerd, the local images: scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
cuts=${1:-400}
[[ "$cuts" =~ ^[1-9][0-9]*$ ]] || { echo "drill-power-cut: CUTS must be a positive integer, got '$cuts'" >&2; exit 2; }
if [ $# -ge 2 ]; then
  [[ "$2" =~ ^[0-9]+$ ]] || { echo "drill-power-cut: SEED must be a non-negative integer, got '$2'" >&2; exit 2; }
  export STEVEDORE_SEED=$2
fi
export STEVEDORE_POWER_CUTS=$cuts
bash scripts/setup.sh
swift build --build-tests
STEVEDORE_BIN="$(swift build --show-bin-path)/stevedore"
export STEVEDORE_BIN
echo "[drill] $cuts power cuts${STEVEDORE_SEED:+, seed $STEVEDORE_SEED}" >&2
swift test --skip-build --filter 'EndToEndTests\.PowerCutTests'
