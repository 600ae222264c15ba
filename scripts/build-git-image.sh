#!/usr/bin/env bash
# Builds the local git worker image (default tag stevedore/git:latest) from this host's git and
# OpenSSH client: no registry is needed. Stevedore's default worker image is alpine/git; tests
# and the demo use this one (STEVEDORE_GIT_IMAGE=stevedore/git:latest).
#
#   scripts/build-git-image.sh [TAG]     builds TAG unless it exists (FORCE=1 rebuilds)
#
# Contents: busybox-static (/bin/sh and the usual tools), /usr/bin/git, /usr/lib/git-core,
# git's templates, /usr/bin/ssh and every shared library `ldd` lists for them, /etc/passwd
# (ssh needs a user entry) and a 1777 /tmp.
set -euo pipefail
tag=${1:-stevedore/git:latest}
log() { echo "[build-git-image] $*" >&2; }
if [ "${FORCE:-0}" != 1 ] && docker image inspect "$tag" >/dev/null 2>&1; then
  exit 0
fi
for bin in /bin/busybox /usr/bin/git /usr/bin/ssh; do
  [ -x "$bin" ] || { log "missing $bin (apt-get install busybox-static git openssh-client)"; exit 1; }
done
log "creating image $tag from this host's git $(git --version | awk '{print $3}') and $(ssh -V 2>&1 | cut -d, -f1)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/tmp" "$tmp/etc" "$tmp/usr/bin" "$tmp/usr/lib" "$tmp/usr/share"
cp /bin/busybox "$tmp/bin/busybox"
for applet in $("$tmp/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$tmp/bin/$applet"
done
cp -a /usr/bin/git /usr/bin/ssh "$tmp/usr/bin/"
cp -a /usr/lib/git-core "$tmp/usr/lib/"
[ -d /usr/share/git-core ] && cp -a /usr/share/git-core "$tmp/usr/share/"
# Shared libraries of git, its helpers and ssh (dereferenced, at their own paths).
{ ldd /usr/bin/git; ldd /usr/bin/ssh; for f in /usr/lib/git-core/*; do [ -f "$f" ] && [ -x "$f" ] && ldd "$f" 2>/dev/null || true; done; } \
  | awk '/=> \// {print $3} /^[ \t]*\// {print $1}' | sort -u | while read -r lib; do
    mkdir -p "$tmp$(dirname "$lib")"
    cp -L "$lib" "$tmp$lib"
  done
echo 'root:x:0:0:root:/tmp:/bin/sh' >"$tmp/etc/passwd"
echo 'root:x:0:' >"$tmp/etc/group"
chmod 1777 "$tmp/tmp"
tar -C "$tmp" -c . | docker import -c 'ENV PATH=/usr/bin:/bin' -c 'ENTRYPOINT ["/usr/bin/git"]' - "$tag" >/dev/null
log "built $tag ($(docker image inspect "$tag" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}'))"
