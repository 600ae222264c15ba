#!/usr/bin/env bash
# Installs Stevedore as a systemd service (docs/OPERATIONS.md).
#
#   scripts/install.sh [--binary PATH] [--root DIR]   install or upgrade, start, run `stevedore doctor`
#   scripts/install.sh --uninstall                     remove binary and unit; keep state and keys
#   scripts/install.sh --purge [--root DIR]            also remove the state root and /etc/stevedore
#
# Install steps (each safe to repeat; keys and state are never replaced):
#   1. the binary: --binary PATH, or the release build of this checkout
#      (scripts/build-release.sh: `swift build -c release`, static Swift runtime, the commit
#      embedded); stripped of its debug information (`strip --strip-debug`: the symbol table
#      stays, so a crash backtrace names functions) and installed to /usr/local/bin/stevedore
#      (temp file + rename); `stevedore version` must say `stevedore X.Y.Z (commit …)`
#   2. the system user `stevedore` (no login, no home) the unit runs as, in the group of the
#      Docker socket (normally `docker`)
#   3. the state root (default /opt/stevedore) and its keys, 0600: `stevedore init`
#   4. /etc/stevedore/stevedore.env (commented template) if absent
#   5. the unit systemd/stevedore.service to /etc/systemd/system/ (a drop-in sets a non-default
#      --root), daemon-reload, enable; a running daemon whose binary or unit changed is
#      stopped; what root owns in the state root (an install before the `stevedore` user, or
#      `stevedore init` just now) is given to `stevedore` — except the applications' own data,
#      `deployments/*/data` and `shared/`; then start. Type=notify: systemctl returns once the
#      daemon has sent READY=1
#   6. waits for `systemctl is-active stevedore`, runs `stevedore doctor`
#
# Without systemd (e.g. inside a container) it explains the container mode and exits 1.
set -euo pipefail

log() { printf '[install] %s\n' "$*" >&2; }
die() { printf '[install] error: %s\n' "$*" >&2; exit 1; }

HERE=$(cd "$(dirname "$0")/.." && pwd)
BIN_DEST=/usr/local/bin/stevedore
UNIT_DEST=/etc/systemd/system/stevedore.service
DROPIN_DIR=/etc/systemd/system/stevedore.service.d
ETC_DIR=/etc/stevedore
DOC_DIR=/usr/local/share/doc/stevedore
ROOT=/opt/stevedore
ROOT_GIVEN=0
SERVICE_USER=stevedore
SERVICE_GECOS="Stevedore daemon"
BINARY=""
MODE=install

usage() { sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --binary) [ $# -ge 2 ] || die "--binary needs a path"; BINARY=$2; shift 2 ;;
    --binary=*) BINARY=${1#--binary=}; shift ;;
    --root) [ $# -ge 2 ] || die "--root needs a directory"; ROOT=$2; ROOT_GIVEN=1; shift 2 ;;
    --root=*) ROOT=${1#--root=}; ROOT_GIVEN=1; shift ;;
    --uninstall) MODE=uninstall; shift ;;
    --purge) MODE=purge; shift ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
done

case "$ROOT" in
  /*) ;;
  *) die "--root must be an absolute path, got '$ROOT'" ;;
esac
case "$ROOT" in
  *[[:space:]]*) die "--root may not contain spaces: '$ROOT'" ;;
esac

[ "$(id -u)" = 0 ] || die "run as root (installs to /usr/local/bin and /etc/systemd/system)"

if [ ! -d /run/systemd/system ]; then
  cat >&2 <<EOF
[install] systemd is not running on this host (no /run/systemd/system), so there is no
[install] service to install. Run Stevedore in container mode instead:
[install]
[install]   docker run -d --name stevedore --restart unless-stopped \\
[install]     -v /var/run/docker.sock:/var/run/docker.sock -v $ROOT:$ROOT \\
[install]     -e STEVEDORE_ROOT=$ROOT -p 42107:42107 \\
[install]     --health-cmd 'curl -fsS http://127.0.0.1:42107/healthz' IMAGE stevedore daemon
[install]
[install] Docker's restart policy then plays systemd's Restart=; the daemon exits by itself when
[install] its tree stays unhealthy (STEVEDORE_UNHEALTHY_EXIT_AFTER, 30 s), and the HEALTHCHECK on
[install] /healthz shows the tree's health (docs/OPERATIONS.md, "Container mode").
[install] Or run \`stevedore daemon\` in the foreground.
EOF
  exit 1
fi

unit_present() { [ -f "$UNIT_DEST" ]; }

uninstall() {
  if unit_present || systemctl list-unit-files stevedore.service >/dev/null 2>&1; then
    log "stopping and disabling stevedore.service"
    systemctl disable --now stevedore.service >/dev/null 2>&1 || true
  fi
  rm -f "$UNIT_DEST"
  rm -rf "$DROPIN_DIR"
  systemctl daemon-reload
  systemctl reset-failed stevedore.service >/dev/null 2>&1 || true
  rm -f "$BIN_DEST"
  rm -rf "$DOC_DIR"
  log "removed $BIN_DEST and the unit; workload containers keep running"
}

if [ "$MODE" = uninstall ]; then
  uninstall
  log "kept state in $ROOT and settings in $ETC_DIR (remove them with --purge)"
  exit 0
fi
if [ "$MODE" = purge ]; then
  # Without --root, purge the root the installed unit uses (install.sh --root wrote a drop-in).
  if [ "$ROOT_GIVEN" = 0 ] && [ -f "$DROPIN_DIR/root.conf" ]; then
    installed=$(sed -n 's/^Environment=STEVEDORE_ROOT=//p' "$DROPIN_DIR/root.conf" | head -1)
    [ -z "$installed" ] || { ROOT=$installed; log "purging the installed state root $ROOT"; }
  fi
  # Only ever remove something that is a Stevedore state root (or nothing at all), by its
  # real path (never '..' or a symlink standing in for it).
  real=""
  if [ -e "$ROOT" ]; then
    real=$(readlink -f "$ROOT")
    case "$real" in
      /|/bin|/boot|/dev|/etc|/home|/lib*|/media|/mnt|/opt|/proc|/root|/run|/sbin|/srv|/sys|/tmp|/usr|/usr/*|/var|/var/lib|/var/tmp)
        die "refusing to purge '$ROOT': it is a system directory, not a Stevedore state root" ;;
    esac
    [ -d "$real/system" ] && { [ -e "$real/system/db.key" ] || [ -e "$real/system/stevedore.db" ] || [ -e "$real/system/admin.key" ]; } \
      || die "refusing to purge '$ROOT': it does not look like a Stevedore state root (no system/db.key, system/stevedore.db or system/admin.key)"
  fi
  uninstall
  [ -z "$real" ] || rm -rf "$real"
  [ "$real" = "$ROOT" ] || [ ! -L "$ROOT" ] || rm -f "$ROOT"
  rm -rf "$ETC_DIR"
  log "removed ${real:-$ROOT} (state, keys, checkouts) and $ETC_DIR"
  # The system user, if this script made it (and nothing runs as it any more).
  if [ "$(getent passwd "$SERVICE_USER" | cut -d: -f5)" = "$SERVICE_GECOS" ]; then
    userdel "$SERVICE_USER" 2>/dev/null && log "removed the system user $SERVICE_USER" \
      || log "kept the system user $SERVICE_USER (userdel failed: is something still running as it?)"
  fi
  # Only this root's projects (their Compose working directory is under its deployments/),
  # not those of other Stevedore installations on the same engine.
  ids=$(docker ps -aq --filter label=com.docker.compose.project 2>/dev/null \
    | xargs -r docker inspect -f '{{index .Config.Labels "com.docker.compose.project"}} {{index .Config.Labels "com.docker.compose.project.working_dir"}}' 2>/dev/null \
    | awk -v root="${real:-$ROOT}/deployments/" 'index($2, root) == 1 && $1 ~ /^stevedore-/ { print $1 }' | sort -u | tr '\n' ' ' || true)
  [ -z "$ids" ] || log "workload containers keep running (Compose projects: $ids); remove them with \`docker compose -p NAME down\` if you no longer want them"
  exit 0
fi

# --- 1. binary ----------------------------------------------------------------------------
if [ -z "$BINARY" ]; then
  command -v swift >/dev/null || die "no --binary given and no swift toolchain to build one"
  log "building the release binary (scripts/build-release.sh: swift build -c release, static Swift runtime, commit embedded)"
  mkdir -p "$HERE/.build-release"
  bash "$HERE/scripts/build-release.sh" "$HERE/.build-release/stevedore.stripped" >&2
  BINARY="$HERE/.build-release/stevedore.stripped"
fi
[ -x "$BINARY" ] || die "binary '$BINARY' does not exist or is not executable"
version_line=$("$BINARY" version 2>/dev/null || true)
case "$version_line" in
  "stevedore "*) ;;
  *) die "'$BINARY' is not a stevedore binary for this machine (\`$BINARY version\` printed '${version_line:0:80}', expected 'stevedore X.Y.Z')" ;;
esac
# Stripped of the debug information (a release build carries ~60 MB of it); stripping twice
# changes nothing, so an already stripped binary compares equal to the installed one.
staged=$(mktemp "${BIN_DEST}.XXXXXX")
trap 'rm -f "$staged"' EXIT
if command -v strip >/dev/null; then
  strip --strip-debug -o "$staged" "$BINARY" || die "cannot strip '$BINARY'"
else
  log "no strip here (binutils): installing '$BINARY' as it is"
  cp "$BINARY" "$staged"
fi
chmod 0755 "$staged"
changed=1
if [ -f "$BIN_DEST" ] && cmp -s "$staged" "$BIN_DEST"; then changed=0; fi
if [ "$changed" = 1 ]; then
  mv -f "$staged" "$BIN_DEST"
  log "installed $BIN_DEST ($("$BIN_DEST" version))"
else
  log "$BIN_DEST is up to date"
fi
mkdir -p "$DOC_DIR"
cp -f "$HERE/docs/OPERATIONS.md" "$DOC_DIR/OPERATIONS.md" 2>/dev/null || true

# --- 2. service user ----------------------------------------------------------------------
# The unit runs as $SERVICE_USER (User=): a system user without login or home, in the group
# that may use the Docker socket. The socket named by DOCKER_HOST=unix://… in the settings file,
# else /var/run/docker.sock; its group is normally `docker` (Debian's docker.io creates it).
if ! getent passwd "$SERVICE_USER" >/dev/null; then
  useradd --system --user-group --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin \
    --comment "$SERVICE_GECOS" "$SERVICE_USER"
  log "created the system user $SERVICE_USER"
fi
socket=/var/run/docker.sock
if [ -f "$ETC_DIR/stevedore.env" ]; then
  host=$(sed -n 's/^[[:space:]]*DOCKER_HOST=unix:\/\///p' "$ETC_DIR/stevedore.env" | tail -1 | tr -d "\"'")
  [ -z "$host" ] || socket=$host
fi
if [ -S "$socket" ]; then
  socket_gid=$(stat -c %g "$socket")
  [ "$socket_gid" != 0 ] || die "the Docker socket $socket belongs to group root, so only root could use it; give it a group (e.g. \`SocketGroup=docker\` for docker.socket, or dockerd's --group docker) and run this again"
  docker_group=$(getent group "$socket_gid" | cut -d: -f1)
  [ -n "$docker_group" ] || die "the Docker socket $socket belongs to gid $socket_gid, which has no group name here; create it (\`groupadd --system --gid $socket_gid docker\`) and run this again"
else
  getent group docker >/dev/null || die "no Docker socket at $socket and no docker group: install Docker first (scripts/setup.sh)"
  docker_group=docker
fi
if ! id -nG "$SERVICE_USER" | tr ' ' '\n' | grep -qx "$docker_group"; then
  usermod -aG "$docker_group" "$SERVICE_USER"
  log "added $SERVICE_USER to the group $docker_group (the Docker socket's)"
fi

# --- 3. state root and keys -------------------------------------------------------------
"$BIN_DEST" init --root "$ROOT" >&2

# --- 4. settings file -------------------------------------------------------------------
if [ ! -f "$ETC_DIR/stevedore.env" ]; then
  mkdir -p "$ETC_DIR"
  cat >"$ETC_DIR/stevedore.env.new" <<'EOF'
# Stevedore daemon settings (read by stevedore.service; docs/OPERATIONS.md lists them all).
# After a change: systemctl restart stevedore
#STEVEDORE_LISTEN_ADDR=0.0.0.0:42107
#STEVEDORE_POLL_INTERVAL=5m
#STEVEDORE_RECONCILE_INTERVAL=30s
#STEVEDORE_LIVENESS_DEADLINE=60s
#STEVEDORE_LOG_LEVEL=info
EOF
  chmod 0600 "$ETC_DIR/stevedore.env.new"
  mv "$ETC_DIR/stevedore.env.new" "$ETC_DIR/stevedore.env"
  log "created $ETC_DIR/stevedore.env"
fi

# --- 5. unit ------------------------------------------------------------------------------
unit_changed=1
if unit_present && cmp -s "$HERE/systemd/stevedore.service" "$UNIT_DEST"; then unit_changed=0; fi
install -m 0644 "$HERE/systemd/stevedore.service" "$UNIT_DEST.new"
mv -f "$UNIT_DEST.new" "$UNIT_DEST"
if [ "$ROOT" != /opt/stevedore ]; then
  mkdir -p "$DROPIN_DIR"
  cat >"$DROPIN_DIR/root.conf.new" <<EOF
# Written by scripts/install.sh --root $ROOT
[Service]
Environment=STEVEDORE_ROOT=$ROOT
Environment=DOCKER_CONFIG=$ROOT/system/docker
ReadWritePaths=$ROOT
EOF
  mv -f "$DROPIN_DIR/root.conf.new" "$DROPIN_DIR/root.conf"
  unit_changed=1
else
  rm -f "$DROPIN_DIR/root.conf"
fi
systemctl daemon-reload
systemctl enable stevedore.service >/dev/null 2>&1
if systemctl is-active --quiet stevedore.service && { [ "$changed" = 1 ] || [ "$unit_changed" = 1 ]; }; then
  # Stopped (not restarted) so that nothing writes to the state root while it changes owner.
  log "stopping stevedore.service (binary or unit changed; workload containers keep running)"
  systemctl stop stevedore.service
fi
# The state root is the service user's: what root owns there (written by a daemon that ran as
# root before this unit had User=, by its root git workers, or by `stevedore init` above) is
# handed over. Not the applications' data (deployments/*/data, shared/): its owners are the
# containers' users. Symbolic links are changed themselves, never followed.
handed=$(find -H "$ROOT" \( -path "$ROOT/shared" -o -path "$ROOT/deployments/*/data" \) -prune -o -uid 0 -print | wc -l)
if [ "$handed" -gt 0 ]; then
  find -H "$ROOT" \( -path "$ROOT/shared" -o -path "$ROOT/deployments/*/data" \) -prune -o -uid 0 -print0 \
    | xargs -0r chown -h "$SERVICE_USER:$SERVICE_USER"
  log "gave $handed path(s) under $ROOT owned by root to $SERVICE_USER"
fi
if systemctl is-active --quiet stevedore.service; then
  log "stevedore.service is running and up to date"
else
  systemctl reset-failed stevedore.service >/dev/null 2>&1 || true
  log "starting stevedore.service (returns once the daemon reports READY=1)"
  systemctl start stevedore.service || {
    journalctl -u stevedore.service -n 30 --no-pager >&2 || true
    die "stevedore.service did not start; the journal's tail is above"
  }
fi

# --- 6. verify ------------------------------------------------------------------------------
for _ in $(seq 1 60); do
  systemctl is-active --quiet stevedore.service && break
  sleep 0.5
done
systemctl is-active --quiet stevedore.service || die "stevedore.service is $(systemctl is-active stevedore.service)"
log "stevedore.service is active: $(systemctl show -p StatusText --value stevedore.service)"
# The CLI reads the same settings as the daemon (e.g. STEVEDORE_LISTEN_ADDR).
( set -a; . "$ETC_DIR/stevedore.env"; set +a; "$BIN_DEST" doctor --root "$ROOT" )
