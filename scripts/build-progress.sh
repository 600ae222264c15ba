#!/usr/bin/env bash
# Runs `swift build ARGS…` and shows its progress: what SwiftPM says before compiling (fetching
# and resolving packages, waiting for another SwiftPM), then the build's own [n/m] counter on one
# updating line on a terminal (a line per 10 % otherwise), errors in full, and the time it took. Exits with swift build's status; on failure the whole log is kept and named.
#
#   scripts/build-progress.sh --product stevedore
set -uo pipefail
log=$(mktemp /tmp/stevedore-build.XXXXXX.log)
start=$(date +%s)
tty=0; [ -t 2 ] && tty=1
last_decile=-1
swift build "$@" 2>&1 | tee "$log" | while IFS= read -r line; do
  if [[ "$line" =~ ^\[([0-9]+)/([0-9]+)\] ]]; then
    n=${BASH_REMATCH[1]}; m=${BASH_REMATCH[2]}
    if [ "$tty" = 1 ]; then
      printf '\r  [%s/%s] %ds ' "$n" "$m" "$(( $(date +%s) - start ))" >&2
    else
      decile=$(( n * 10 / (m > 0 ? m : 1) ))
      if [ "$decile" != "$last_decile" ]; then
        last_decile=$decile
        printf '  [%s/%s] %ds\n' "$n" "$m" "$(( $(date +%s) - start ))" >&2
      fi
    fi
  elif [[ "$line" =~ ^(Fetching|Fetched|Cloning|Computing|Creating\ working\ copy|Working\ copy|Resolving|Updating|Another\ instance|Building\ for) ]]; then
    [ "$tty" = 1 ] && printf '\r\033[K' >&2
    printf '  %s\n' "$line" >&2
  elif [[ "$line" == *"error:"* ]]; then
    [ "$tty" = 1 ] && printf '\n' >&2
    printf '%s\n' "$line" >&2
  fi
done
status=${PIPESTATUS[0]}
[ "$tty" = 1 ] && printf '\r\033[K' >&2
if [ "$status" = 0 ]; then
  printf '  built in %ds\n' "$(( $(date +%s) - start ))" >&2
  rm -f "$log"
else
  printf '  swift build failed (exit %s); full log: %s\n' "$status" "$log" >&2
fi
exit "$status"
