#!/usr/bin/env bash
# Stevedore setup: installs (only) what is missing and starts a Docker engine if none answers.
#
# Idempotent. On a machine that already has a working Docker engine, Compose and the build
# dependencies it touches nothing. Used by scripts/demo.sh and scripts/test.sh.
#
#   - apt packages: libsqlcipher-dev libsystemd-dev git docker.io docker-compose (Compose v1)
#     busybox-static sqlcipher sqlite3 (tests check the file is unreadable to it) curl
#     python3 (JSON in the systemd test) debootstrap (its systemd image) openssh-client,
#     openssh-server (the tests' Git server: sshd + git-shell on 127.0.0.1; its service is not
#     started by the install), python3-fusepy (scripts/lossyfs.py: the power-cut tests' FUSE
#     filesystem that drops unsynced writes; pulls in libfuse2), faketime (libfaketime: the
#     wall-clock jump test), e2fsprogs (mkfs.ext4/e2fsck: the read-only state filesystem test),
#     iproute2 (the engine-restart drills' private bridge)
#   - Compose v2: the CLI plugin binary from Debian 13's `docker-compose` package, fetched with
#     an apt source list of its own in a temp dir (the system's sources are not changed), put in
#     /usr/local/lib/docker/cli-plugins/docker-compose
#   - dockerd: started in the background (log: /var/log/stevedore-dockerd.log) only if nothing
#     answers on /var/run/docker.sock
#   - local base images (no registry is reachable): stevedore/busybox:latest and the git worker
#     image stevedore/git:latest (scripts/build-git-image.sh)
set -euo pipefail

log() { printf '[setup] %s\n' "$*" >&2; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (it installs packages and starts dockerd)"

APT_UPDATED=0
apt_update_once() {
  if [ "$APT_UPDATED" = 0 ]; then
    log "apt-get update"
    apt-get update -qq >/dev/null
    APT_UPDATED=1
  fi
}

# --- 1. Debian packages -------------------------------------------------------------------
need=()
for pkg in libsqlcipher-dev sqlcipher sqlite3 libsystemd-dev git docker.io docker-compose busybox-static curl python3 python3-fusepy debootstrap openssh-client openssh-server iproute2 procps faketime e2fsprogs gdb; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || need+=("$pkg")
done
# A working engine and Compose from elsewhere (e.g. Docker's own packages) count as present.
engine_answers() { command -v curl >/dev/null 2>&1 && curl -sf --max-time 3 --unix-socket /var/run/docker.sock http://localhost/_ping >/dev/null 2>&1; }
if [[ " ${need[*]} " == *" docker.io "* ]] && { command -v dockerd >/dev/null 2>&1 || engine_answers; }; then
  need=("${need[@]/docker.io}")
fi
if [[ " ${need[*]} " == *" docker-compose "* ]] && command -v docker-compose >/dev/null 2>&1; then
  need=("${need[@]/docker-compose}")
fi
read -r -a need <<<"${need[*]:-}"
if [ "${#need[@]}" -gt 0 ]; then
  apt_update_once
  log "installing: ${need[*]}"
  # policy-rc.d 101: package scripts must not start services (openssh-server's sshd on :22).
  policy_created=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy_created=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  [ "$policy_created" = 0 ] || rm -f /usr/sbin/policy-rc.d
fi

# --- 2. Compose v2 as a Docker CLI plugin ---------------------------------------------------
PLUGIN_DIR=/usr/local/lib/docker/cli-plugins
have_compose_v2() {
  local v
  v=$(docker compose version --short 2>/dev/null) || return 1
  [[ "$v" =~ ^v?[2-9] ]]
}
if ! have_compose_v2; then
  log "installing Compose v2 CLI plugin from Debian 13's docker-compose package"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  # Use the same archive the system already uses, with suite trixie, in a private apt state.
  uri=$(grep -hE '^\s*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1 || true)
  [ -n "$uri" ] || uri=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | grep -v security | awk '{print $2}' | head -1 || true)
  [ -n "$uri" ] || die "cannot find the Debian archive URI in /etc/apt/sources.list(.d)"
  mkdir -p "$tmp/lists/partial" "$tmp/archives/partial" "$tmp/etc"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri trixie main" >"$tmp/etc/sources.list"
  aptopts=(-o "APT::Sandbox::User=root" -o "Dir::Etc::SourceList=$tmp/etc/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
           -o "Dir::State::Lists=$tmp/lists" -o "Dir::Cache::Archives=$tmp/archives"
           -o "Dir::Cache::pkgcache=$tmp/pkgcache.bin" -o "Dir::Cache::srcpkgcache=$tmp/srcpkgcache.bin"
           -o "APT::Architecture=$(dpkg --print-architecture)")
  apt-get "${aptopts[@]}" update -qq >/dev/null
  (cd "$tmp" && apt-get "${aptopts[@]}" download docker-compose >/dev/null)
  deb=$(ls "$tmp"/docker-compose_*.deb | head -1)
  dpkg-deb -x "$deb" "$tmp/x"
  bin=$(find "$tmp/x" -type f -path '*cli-plugins/docker-compose' | head -1)
  [ -n "$bin" ] || die "no cli-plugins/docker-compose in $(basename "$deb")"
  mkdir -p "$PLUGIN_DIR"
  install -m 0755 "$bin" "$PLUGIN_DIR/docker-compose.new"
  mv -f "$PLUGIN_DIR/docker-compose.new" "$PLUGIN_DIR/docker-compose"
  rm -rf "$tmp"; trap - EXIT
fi

# --- 3. Docker engine -----------------------------------------------------------------------
engine_up() { curl -sf --max-time 3 --unix-socket /var/run/docker.sock http://localhost/_ping >/dev/null 2>&1; }
if ! engine_up; then
  command -v dockerd >/dev/null || die "dockerd not found after installing docker.io"
  log "starting dockerd (log: /var/log/stevedore-dockerd.log)"
  # setsid: the engine must outlive this script and the terminal it ran in.
  setsid nohup dockerd >/var/log/stevedore-dockerd.log 2>&1 </dev/null &
  for _ in $(seq 1 120); do engine_up && break; sleep 0.5; done
  engine_up || { tail -20 /var/log/stevedore-dockerd.log >&2; die "dockerd did not answer on /var/run/docker.sock within 60 s"; }
fi

# --- 4. Local base images -------------------------------------------------------------------
# stevedore/busybox: busybox-static plus its applet links; the example's and tests' FROM image.
if ! docker image inspect stevedore/busybox:latest >/dev/null 2>&1; then
  log "creating image stevedore/busybox:latest from busybox-static"
  tmp=$(mktemp -d)
  mkdir -p "$tmp/bin" "$tmp/tmp" "$tmp/etc" "$tmp/www"
  cp /bin/busybox "$tmp/bin/busybox"
  for applet in $("$tmp/bin/busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$tmp/bin/$applet"
  done
  echo 'root:x:0:0:root:/:/bin/sh' >"$tmp/etc/passwd"
  echo 'root:x:0:' >"$tmp/etc/group"
  chmod 1777 "$tmp/tmp"
  tar -C "$tmp" -c . | docker import -c 'ENV PATH=/bin' -c 'CMD ["/bin/sh"]' - stevedore/busybox:latest >/dev/null
  rm -rf "$tmp"
fi

bash "$(dirname "$0")/build-git-image.sh" stevedore/git:latest

log "ok: docker $(docker version --format '{{.Server.Version}}' 2>/dev/null), compose $(docker compose version --short 2>/dev/null), docker-compose $(docker-compose version --short 2>/dev/null || echo '?')"
