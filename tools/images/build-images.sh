#!/usr/bin/env bash
# Builds Peapod's local test images without a registry and loads them into the engines given.
#
#   build-images.sh [--docker unix:///path/docker.sock] [--containerd /path/containerd.sock]
#
# Images (all from Debian's busybox-static, one layer, reproducible: same bytes, same ids):
#   peapod/busybox:1.36 (also tagged busybox:1.36, busybox:1.28, busybox:latest) - CMD sh
#   peapod/pause:3.9 - sleeps forever; the Docker adapter's sandbox and containerd's sandbox_image
# The archive is a `docker save`-format tarball, so `docker load` and `ctr images import` both
# read it; it is cached in $PEAPOD_IMAGE_CACHE (default /tmp/peapod-images) and rebuilt only when
# missing. Loading an image that is already present is a no-op for both engines.
set -euo pipefail

BUSYBOX=${BUSYBOX:-/bin/busybox}
CACHE=${PEAPOD_IMAGE_CACHE:-/tmp/peapod-images}
ARCHIVE="$CACHE/peapod-images.tar"
APPLETS="sh ash echo printf sleep cat ls env wget nc httpd hostname true false test [ mkdir rm ps id kill seq date grep head tail touch top wc tr sed awk uname"
INSTALL_HINT="apt-get install -y docker.io containerd busybox-static"

docker_host="" containerd_addr=""
while [ $# -gt 0 ]; do
  case "$1" in
    --docker) docker_host=$2; shift 2 ;;
    --containerd) containerd_addr=$2; shift 2 ;;
    *) echo "usage: $0 [--docker unix://SOCK] [--containerd SOCK]" >&2; exit 2 ;;
  esac
done

# A single-layer image: LAYER_TAR, config JSON with the given CMD, repo tags.
# Appends to the manifest list in $work/manifest.entries.
add_image() {
  local layer_digest=$1 cmd=$2; shift 2
  local tags="" t
  for t in "$@"; do tags="$tags${tags:+,}\"$t\""; done
  local config="{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"1970-01-01T00:00:00Z\",\"config\":{\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"],\"Cmd\":$cmd,\"Labels\":{\"io.peapod.image\":\"local\"}},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$layer_digest\"]}}"
  local config_digest
  config_digest=$(printf '%s' "$config" | sha256sum | cut -d' ' -f1)
  printf '%s' "$config" > "$work/$config_digest.json"
  echo "{\"Config\":\"$config_digest.json\",\"RepoTags\":[$tags],\"Layers\":[\"$layer_digest/layer.tar\"]}" >> "$work/manifest.entries"
}

build_archive() {
  [ -x "$BUSYBOX" ] || { echo "busybox-static not found at $BUSYBOX: install with $INSTALL_HINT" >&2; exit 3; }
  mkdir -p "$CACHE"
  work=$(mktemp -d "$CACHE/build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  local root="$work/rootfs"
  mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/proc" "$root/sys" "$root/dev" "$root/root"
  cp "$BUSYBOX" "$root/bin/busybox"
  for a in $APPLETS; do ln -s busybox "$root/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' > "$root/etc/group"
  chmod 1777 "$root/tmp"
  tar -C "$root" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$work/layer.tar" .
  local layer_digest
  layer_digest=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
  mkdir "$work/$layer_digest"
  mv "$work/layer.tar" "$work/$layer_digest/layer.tar"
  add_image "$layer_digest" '["sh"]' peapod/busybox:1.36 busybox:1.36 busybox:1.28 busybox:latest
  add_image "$layer_digest" '["/bin/sleep","2147483647"]' peapod/pause:3.9
  { printf '['; paste -sd, "$work/manifest.entries"; printf ']'; } > "$work/manifest.json"
  rm -rf "$root" "$work/manifest.entries"
  tar -C "$work" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$ARCHIVE.tmp" .
  mv "$ARCHIVE.tmp" "$ARCHIVE"
}

[ -s "$ARCHIVE" ] || build_archive

if [ -n "$docker_host" ]; then
  docker -H "$docker_host" load -q -i "$ARCHIVE" >/dev/null
fi
if [ -n "$containerd_addr" ]; then
  ctr --address "$containerd_addr" -n k8s.io images import --all-platforms "$ARCHIVE" >/dev/null
fi
echo "$ARCHIVE"
