#!/usr/bin/env bash
# Containers in which systemd runs as PID 1, for end-to-end tests of systemd/stevedore.service.
#
#   scripts/systemd-container.sh start NAME [docker run args...]   # boot; wait for systemd
#   scripts/systemd-container.sh wait NAME                          # wait again (e.g. after a reboot)
#   scripts/systemd-container.sh stop NAME                          # remove it (no-op if gone)
#   scripts/systemd-container.sh image                              # build if needed; print image name
#
# or `source` it and call sdc_start / sdc_wait / sdc_stop / sdc_image (it then changes no shell
# options). Progress and problems go to stderr; stdout stays empty except for `image`.
#
# `start` runs the image of scripts/build-systemd-image.sh (built on first use; override with
# STEVEDORE_SYSTEMD_IMAGE) with what systemd needs here, unprivileged:
#   --cap-add SYS_ADMIN --security-opt seccomp=unconfined --cgroupns=host
#   -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock
#   --stop-signal SIGRTMIN+3 (systemd's "halt": `docker stop` shuts down cleanly)
#   --cap-add SYS_NICE (else libdispatch in the daemon logs "Failed to set thread priority
#     for worker thread ... errno=13" once, which a real host does not)
# plus the host's Docker, used as is from inside (containers started there are the host's
# siblings, so bind-mount sources in compose files are host paths):
#   /var/run/docker.sock, the docker CLI at /usr/bin/docker (ro), the Compose v2 plugin at
#   /usr/local/lib/docker/cli-plugins/docker-compose (ro, if present)
# and the Swift runtime at the path the binary's RUNPATH names:
#   /opt/swift/usr/lib/swift/linux (ro)
# Extra arguments go to `docker run` before the image, e.g.
#   -v "$PWD/.build/debug/stevedore:/usr/local/bin/stevedore:ro"
# A container of the same NAME made by this script earlier is replaced.
#
# It then waits until `systemctl is-system-running` says running or degraded (timeout
# SYSTEMD_CONTAINER_TIMEOUT, default 60 s). "degraded" passes with `systemctl --failed` shown on
# stderr; on failure the state, failed units, jobs and the journal's tail are shown and the
# container is removed (keep it with SYSTEMD_CONTAINER_KEEP=1).

SDC_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SDC_LABEL=org.stevedore.systemd-container
# The toolchain's runtime libraries (the debug binary's RUNPATH), e.g. /opt/swift/usr/lib/swift/linux.
SDC_SWIFT_LIB=${SDC_SWIFT_LIB:-$(d=$(dirname "$(readlink -f "$(command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)")"); echo "$(dirname "$d")/lib/swift/linux")}
SDC_COMPOSE_PLUGIN=/usr/local/lib/docker/cli-plugins/docker-compose

sdc_log() { printf '[systemd-container] %s\n' "$*" >&2; }

# Prints the image name; builds it first if needed.
sdc_image() {
  if [ -n "${STEVEDORE_SYSTEMD_IMAGE:-}" ]; then
    echo "$STEVEDORE_SYSTEMD_IMAGE"
  else
    "$SDC_DIR/build-systemd-image.sh"
  fi
}

# Shows why NAME is not (yet) up, on stderr.
sdc_diagnose() {
  local name=$1
  {
    echo "--- systemctl is-system-running: $(docker exec "$name" systemctl is-system-running 2>&1)"
    echo "--- systemctl --failed"
    docker exec "$name" systemctl --failed --no-pager 2>&1
    echo "--- systemctl list-jobs"
    docker exec "$name" systemctl list-jobs --no-pager 2>&1
    echo "--- journalctl -b (last 30 lines)"
    docker exec "$name" journalctl -b --no-pager -n 30 2>&1
    echo "--- docker logs (last 30 lines)"
    docker logs --tail 30 "$name" 2>&1
  } >&2
}

# sdc_wait NAME: until systemd in NAME is running or degraded.
sdc_wait() {
  local name=$1 timeout=${SYSTEMD_CONTAINER_TIMEOUT:-60} state="" running
  local deadline=$(( $(date +%s) + timeout ))
  while :; do
    running=$(docker inspect -f '{{.State.Running}}' "$name" 2>/dev/null || echo gone)
    if [ "$running" != true ]; then
      sdc_log "container $name is not running ($running)"
      docker logs --tail 30 "$name" >&2 2>&1 || true
      return 1
    fi
    state=$(docker exec "$name" systemctl is-system-running 2>/dev/null || true)
    case "$state" in
      running) return 0 ;;
      degraded)
        sdc_log "$name: systemd is degraded; failed units:"
        docker exec "$name" systemctl --failed --no-pager >&2 2>&1 || true
        return 0 ;;
      maintenance|stopping) break ;;   # emergency/rescue mode or shutting down: will not recover
    esac
    [ "$(date +%s)" -lt "$deadline" ] || break
    sleep 0.1
  done
  sdc_log "$name: systemd did not reach running/degraded within ${timeout} s (state: ${state:-none})"
  sdc_diagnose "$name"
  return 1
}

# sdc_start NAME [docker run args...]
sdc_start() {
  local name=${1:?usage: start NAME [docker run args...]}; shift
  local image docker_cli t0
  image=$(sdc_image) || { sdc_log "no image"; return 1; }
  docker_cli=$(command -v docker) || { sdc_log "no docker CLI on PATH"; return 1; }
  docker_cli=$(readlink -f "$docker_cli")

  # Replace a leftover of an earlier run, but never someone else's container.
  if [ -n "$(docker ps -aq --filter "name=^/${name}\$" --filter "label=$SDC_LABEL")" ]; then
    sdc_log "removing leftover container $name"
    docker rm -f "$name" >/dev/null
  fi

  local args=(
    -d --name "$name" --hostname "$name" --label "$SDC_LABEL=1"
    --cap-add SYS_ADMIN --security-opt seccomp=unconfined --cgroupns=host
    -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock
    --stop-signal SIGRTMIN+3 --cap-add SYS_NICE
    -v /var/run/docker.sock:/var/run/docker.sock
    -v "$docker_cli:/usr/bin/docker:ro"
    -v "$SDC_SWIFT_LIB:$SDC_SWIFT_LIB:ro"
  )
  [ -e "$SDC_COMPOSE_PLUGIN" ] && args+=(-v "$SDC_COMPOSE_PLUGIN:$SDC_COMPOSE_PLUGIN:ro")

  t0=$(date +%s%N)
  docker run "${args[@]}" "$@" "$image" >/dev/null || { sdc_log "docker run failed"; return 1; }
  if ! sdc_wait "$name"; then
    if [ "${SYSTEMD_CONTAINER_KEEP:-0}" = 1 ]; then
      sdc_log "keeping $name for inspection (SYSTEMD_CONTAINER_KEEP=1)"
    else
      docker rm -f "$name" >/dev/null 2>&1 || true
    fi
    return 1
  fi
  sdc_log "$name: systemd up in $(( ($(date +%s%N) - t0) / 1000000 )) ms ($image)"
}

# sdc_stop NAME: removes the container (at once: SIGKILL; the test is over).
sdc_stop() {
  local name=${1:?usage: stop NAME}
  docker rm -f "$name" >/dev/null 2>&1 || true
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  cmd=${1:-}; [ $# -gt 0 ] && shift
  case "$cmd" in
    start) sdc_start "$@" ;;
    wait)  sdc_wait "${1:?usage: wait NAME}" ;;
    stop)  sdc_stop "$@" ;;
    image) sdc_image ;;
    *) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
fi
