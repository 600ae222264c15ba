#!/bin/sh
# Core dump handler for scripts/test.sh (kernel core_pattern pipe, core(5)):
#   |scripts/core-keeper.sh DIR %P %E
# keeps the core of a crashed test process (stevedorePackageTests.xctest) in DIR as
# core.PID, and drops every other core (the fault drills trap and SIGKILL children on
# purpose). test.sh prints the kept cores' backtraces with gdb: the Swift backtracer cannot
# unwind through C libraries without frame pointers (libsqlcipher), gdb can.
dir=$1 pid=$2 exe=$3
case "$exe" in
  *stevedorePackageTests.xctest)
    mkdir -p "$dir" && cat >"$dir/core.$pid" ;;
  *) cat >/dev/null ;;
esac
