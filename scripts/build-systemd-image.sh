#!/usr/bin/env bash
# Builds (once) and caches a local Docker image in which systemd runs as PID 1, for end-to-end
# tests of systemd/stevedore.service. Used by scripts/systemd-container.sh.
#
#   scripts/build-systemd-image.sh        # prints the image name on stdout, progress on stderr
#
# Image: stevedore/systemd-test:<tag>, <tag> = first 12 hex digits of the sha256 of this file
# (editing the script builds a new image), also tagged stevedore/systemd-test:latest. If the
# image exists the script only prints its name (well under a second). A cold build takes
# about a minute and needs root.
#
# How: no registry is reachable, so the root file system is made with
# `debootstrap --variant=minbase bookworm` from the Debian archive the system's apt sources
# already use (found as scripts/setup.sh finds it) and loaded with `docker import`.
# debootstrap is installed with apt-get if missing.
#
# Contents: systemd + systemd-sysv + dbus, git, openssh-client, ca-certificates, curl, procps,
# iproute2, and the libraries a Stevedore binary needs besides the Swift runtime:
# libsqlcipher0, libsystemd0, libssl3 (libcrypto), libstdc++6, zlib1g. The Swift runtime is
# NOT in the image: bind-mount the host's /opt/swift/usr/lib/swift/linux read-only at the same
# path (the binary's RUNPATH). Neither is Docker: bind-mount the host's CLI, Compose plugin and socket.
#
# Run it like (scripts/systemd-container.sh does this, plus the bind mounts above):
#   docker run -d --cap-add SYS_ADMIN --security-opt seccomp=unconfined --cgroupns=host \
#     -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock IMAGE
#
# Container tweaks:
#   - /etc/machine-id is empty: not a "first boot"; systemd makes up a fresh ID on every start
#     of a container (overmounted, then committed to the container's own layer)
#   - units that are useless or misbehave in a container are masked (list: MASK below)
#   - journald keeps its journal in memory (Storage=volatile)
#   - ENV container=docker, CMD /sbin/init. No STOPSIGNAL (`docker import` of engine 20.10
#     rejects it): give `docker run --stop-signal SIGRTMIN+3` (systemd's "halt") so that
#     `docker stop` shuts down cleanly instead of waiting 10 s for SIGKILL
#   - docs, man pages, locales and apt's caches are removed
set -euo pipefail

REPO=stevedore/systemd-test
SELF=$(readlink -f "${BASH_SOURCE[0]}")
TAG=$(sha256sum "$SELF" | cut -c1-12)
IMAGE="$REPO:$TAG"

log() { printf '[systemd-image] %s\n' "$*" >&2; }
die() { printf '[systemd-image] error: %s\n' "$*" >&2; exit 1; }

have_image() { docker image inspect "$IMAGE" >/dev/null 2>&1; }
done_() { docker tag "$IMAGE" "$REPO:latest" >/dev/null; echo "$IMAGE"; exit 0; }

# --- Fast path: already built --------------------------------------------------------------
have_image && done_

[ "$(id -u)" = 0 ] || die "building $IMAGE needs root (debootstrap)"
docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || die "no Docker engine answers (run scripts/setup.sh)"

# One build at a time; whoever waited finds the image made by the other.
exec 9>"${TMPDIR:-/tmp}/stevedore-systemd-image.lock"
flock 9
have_image && done_

# --- Packages --------------------------------------------------------------------------------
PACKAGES=(
  systemd systemd-sysv dbus          # PID 1, /sbin/init, the system bus (logind, busctl, ...)
  git ca-certificates curl           # what the daemon runs / fetches with
  openssh-client                     # ssh for git in local mode (test-systemd.sh step 4b)
  procps iproute2                    # ps, pgrep, ip, ss: for tests' assertions
  libsqlcipher0 libsystemd0 libssl3 libstdc++6 zlib1g   # the binary's non-Swift libraries
)
# Sonames `ldd .build/debug/stevedore` resolves outside /opt/swift: checked after the build.
SONAMES=(libsqlcipher.so.0 libsystemd.so.0 libcrypto.so.3 libstdc++.so.6 libz.so.1
         libgcc_s.so.1 libm.so.6 libc.so.6 libpthread.so.0 libdl.so.2)

# Units that are pointless or misbehave in a container (no udev, no ttys, no kernel tunables,
# no fstab, no first boot), or that would run work tests do not want (apt timers).
MASK=(
  systemd-udevd.service systemd-udevd-control.socket systemd-udevd-kernel.socket
  systemd-udev-trigger.service systemd-udev-settle.service systemd-hwdb-update.service
  getty.target getty@tty1.service console-getty.service serial-getty@.service
  systemd-firstboot.service systemd-remount-fs.service
  systemd-modules-load.service kmod-static-nodes.service systemd-sysctl.service
  systemd-pstore.service
  sys-kernel-debug.mount sys-kernel-tracing.mount sys-kernel-config.mount
  sys-fs-fuse-connections.mount dev-hugepages.mount proc-sys-fs-binfmt_misc.automount
  systemd-binfmt.service cryptsetup.target
  apt-daily.timer apt-daily-upgrade.timer dpkg-db-backup.timer e2scrub_all.timer
  fstrim.timer
)

command -v debootstrap >/dev/null 2>&1 || {
  log "installing debootstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null 2>&1 || {
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  }
}

# The archive the system already uses (the only one reachable), as scripts/setup.sh finds it.
uri=$(grep -hE '^\s*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1 || true)
[ -n "$uri" ] || uri=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | grep -v security | awk '{print $2}' | head -1 || true)
[ -n "$uri" ] || die "cannot find the Debian archive URI in /etc/apt/sources.list(.d)"

# --- Temp dir: unmount whatever a failed debootstrap left mounted before deleting ------------
tmp=$(mktemp -d "${TMPDIR:-/tmp}/stevedore-systemd-image.XXXXXX")
cleanup() {
  local m
  { findmnt -rn -o TARGET | grep -F "$tmp/" | sort -r || true; } | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT
root="$tmp/root"

# --- debootstrap ---------------------------------------------------------------------------
start=$(date +%s)
log "building $IMAGE: debootstrap --variant=minbase bookworm from $uri (about 40 s)"
if ! debootstrap --variant=minbase --include="$(IFS=,; echo "${PACKAGES[*]}")" \
      bookworm "$root" "$uri" >"$tmp/debootstrap.log" 2>&1; then
  tail -30 "$tmp/debootstrap.log" >&2
  [ -f "$root/debootstrap/debootstrap.log" ] && tail -30 "$root/debootstrap/debootstrap.log" >&2
  die "debootstrap failed"
fi

for so in "${SONAMES[@]}"; do
  [ -n "$(find "$root/usr/lib" -maxdepth 2 -name "$so" -print -quit)" ] || die "$so missing from the image"
done

# --- Container tweaks ------------------------------------------------------------------------
log "configuring"
# Empty machine-id: a fresh ID per container, and no first-boot logic (machine-id(5)).
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
ln -s /etc/machine-id "$root/var/lib/dbus/machine-id"

for unit in "${MASK[@]}"; do
  ln -sf /dev/null "$root/etc/systemd/system/$unit"
done

mkdir -p "$root/etc/systemd/journald.conf.d"
cat >"$root/etc/systemd/journald.conf.d/container.conf" <<'EOF'
# stevedore/systemd-test: the journal lives in memory; the container is thrown away.
[Journal]
Storage=volatile
EOF
rm -rf "$root/var/log/journal"

# Small and quiet: no docs, man pages or locales; no apt caches or package lists.
rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
       "$root"/usr/share/locale/* "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* \
       "$root"/var/cache/debconf/*-old "$root"/var/log/*.log "$root"/var/log/apt/* \
       "$root/debootstrap"
# Docker provides /dev, /proc, /sys, /etc/hostname, /etc/hosts and /etc/resolv.conf itself.
rm -rf "$root"/dev/* "$root"/proc/* "$root"/sys/*
: >"$root/etc/hostname"

# --- Import ----------------------------------------------------------------------------------
log "docker import"
tar -C "$root" --numeric-owner -c . | docker import \
  -c 'ENV container=docker' \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c "LABEL org.stevedore.systemd-test=$TAG" \
  -c 'CMD ["/sbin/init"]' \
  -m "scripts/build-systemd-image.sh $TAG" \
  - "$IMAGE" >/dev/null
log "built $IMAGE in $(( $(date +%s) - start )) s ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}'))"
done_
