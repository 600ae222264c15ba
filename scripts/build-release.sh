#!/usr/bin/env bash
# Builds the release binary the way it is installed, and writes a stripped copy to OUT.
#
#   scripts/build-release.sh OUT
#
# - `swift build -c release --product stevedore` in this checkout, scratch path
#   $STEVEDORE_SCRATCH (default .build-release, kept between builds: a rebuild after a change
#   takes a few minutes, a clean one about ten on 2 cores);
# - the Swift runtime and Foundation linked statically (`--static-swift-stdlib`) unless
#   STEVEDORE_STATIC_STDLIB=0: the daemon then maps no shared Swift libraries, which saves
#   about 15 MB of its resident memory (scripts/bench.sh memory);
# - the commit: STEVEDORE_COMMIT (default `git rev-parse HEAD`, "-dirty" appended when the
#   checkout has uncommitted changes to tracked files) goes into the binary as a C string
#   (Package.swift, target CBuildInfo), so `stevedore version` prints
#   `stevedore X.Y.Z (commit abcdef123456)` after stripping too;
# - stripped with `strip --strip-debug`: the DWARF debug information goes (most of the
#   size), the symbol table stays, so a crash backtrace still names the functions (Swift's
#   backtracer symbolicates from it; file and line numbers need the DWARF and are not shown).
#   STEVEDORE_STRIP="--strip-all" strips the symbol table too (backtraces then show bare
#   addresses).
#
# Prints OUT's `version` line on success.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/build-release.sh OUT}
scratch=${STEVEDORE_SCRATCH:-.build-release}
if [ -z "${STEVEDORE_COMMIT:-}" ] && git rev-parse --git-dir >/dev/null 2>&1; then
  STEVEDORE_COMMIT=$(git rev-parse HEAD)
  git diff --quiet HEAD -- 2>/dev/null || STEVEDORE_COMMIT="$STEVEDORE_COMMIT-dirty"
fi
export STEVEDORE_COMMIT=${STEVEDORE_COMMIT:-}
flags=(-c release --product stevedore --scratch-path "$scratch")
[ "${STEVEDORE_STATIC_STDLIB:-1}" = 0 ] || flags+=(--static-swift-stdlib)
swift build "${flags[@]}" >&2
built="$(swift build "${flags[@]}" --show-bin-path)/stevedore"
# Into a temporary file first: OUT is never a half-written binary.
strip ${STEVEDORE_STRIP:---strip-debug} -o "$out.tmp" "$built"
chmod 0755 "$out.tmp"
mv -f "$out.tmp" "$out"
line=$("$out" version)
case "$line" in
  *"(commit ${STEVEDORE_COMMIT:0:12}"*) ;;
  *) [ -z "$STEVEDORE_COMMIT" ] || { echo "build-release: $out says '$line', expected commit ${STEVEDORE_COMMIT:0:12}" >&2; exit 1; } ;;
esac
echo "$line"
