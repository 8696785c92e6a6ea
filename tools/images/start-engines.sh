#!/usr/bin/env bash
# Starts a private Docker Engine or containerd (CRI) for tests, without systemd, in DIR.
#
#   start-engines.sh docker DIR       -> DIR/docker.sock, images loaded
#   start-engines.sh containerd DIR   -> DIR/containerd.sock, CRI ready, images imported
#   start-engines.sh stop DIR         -> stops whatever this script started in DIR
#   start-engines.sh check docker|containerd
#                                     -> exits 3 with the install command when the engine's packages
#                                        are missing (tests decide from it whether to skip), else 0
#
# Each engine comes with a private image registry (Debian's docker-registry) on 127.0.0.1 holding
# `peapod/busybox:1.36`, so pulls are tested for real; the engine does not have that reference
# until it pulls it. Prints two lines: the engine's socket path and the registry's `127.0.0.1:PORT`.
#
# DIR must be short (unix socket paths are limited to 107 bytes). Settings this machine needs
# (see MACHINE-NOTES): dockerd without iptables and without the default bridge (sandboxes use
# `--network none`); containerd with `restrict_oom_score_adj = true` (the VM refuses negative
# oom_score_adj) and a local `sandbox_image` (no registry is reachable).
# Exits 3 with the install command when the engine packages are missing.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
INSTALL_HINT="apt-get install -y docker.io containerd busybox-static docker-registry"
PAUSE_IMAGE=docker.io/peapod/pause:3.9

need() { command -v "$1" >/dev/null || { echo "$1 not found: install the engines with: $INSTALL_HINT" >&2; exit 3; }; }

wait_ready() { # CMD... until it succeeds, 30 s at most
  for _ in $(seq 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "engine did not become ready: $*" >&2; tail -20 "$dir"/*.log >&2 || true; exit 1
}

needs() { # the programs starting an engine of kind $1 takes
  case "$1" in
    docker) need dockerd; need docker; need containerd; need runc ;;
    containerd) need containerd; need ctr; need runc ;;
    *) echo "unknown engine: $1" >&2; exit 2 ;;
  esac
  need docker-registry; need curl; need "${BUSYBOX:-/bin/busybox}"
}

start_registry() { # -> $registry (127.0.0.1:PORT)
  local port
  port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  registry="127.0.0.1:$port"
  printf 'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\nhttp:\n  addr: %s\n' "$dir/registry" "$registry" > "$dir/registry.yml"
  setsid docker-registry serve "$dir/registry.yml" >"$dir/registry.log" 2>&1 < /dev/null &
  echo $! > "$dir/registry.pid"
  wait_ready curl -sf "http://$registry/v2/"
}

cmd=${1:?usage: $0 docker|containerd|stop DIR}
if [ "$cmd" = check ]; then needs "${2:?usage: $0 check docker|containerd}"; exit 0; fi
dir=${2:?usage: $0 docker|containerd|stop DIR}
mkdir -p "$dir"; dir=$(cd "$dir" && pwd)
case "$cmd" in
  docker)
    needs docker
    start_registry
    setsid dockerd --data-root "$dir/docker-root" --exec-root "$dir/docker-exec" -H "unix://$dir/docker.sock" \
      --pidfile "$dir/dockerd.pid" --iptables=false --bridge=none >"$dir/dockerd.log" 2>&1 < /dev/null &
    wait_ready docker -H "unix://$dir/docker.sock" version
    "$HERE/build-images.sh" --docker "unix://$dir/docker.sock" >/dev/null
    # Docker speaks plain HTTP to registries on 127.0.0.0/8 without configuration.
    d() { docker -H "unix://$dir/docker.sock" "$@"; }
    d tag peapod/busybox:1.36 "$registry/peapod/busybox:1.36"
    d push -q "$registry/peapod/busybox:1.36" >/dev/null
    d rmi "$registry/peapod/busybox:1.36" >/dev/null
    echo "$dir/docker.sock"
    echo "$registry"
    ;;
  containerd)
    needs containerd
    start_registry
    { containerd config default \
      | sed -e 's/restrict_oom_score_adj = false/restrict_oom_score_adj = true/' \
            -e "s#sandbox_image = .*#sandbox_image = \"$PAUSE_IMAGE\"#" \
            -e "s#conf_dir = \"/etc/cni/net.d\"#conf_dir = \"$dir/cni\"#"
      # The private registry speaks plain HTTP.
      printf '\n[plugins."io.containerd.grpc.v1.cri".registry.mirrors."%s"]\n  endpoint = ["http://%s"]\n' "$registry" "$registry"
    } > "$dir/containerd.toml"
    setsid containerd --config "$dir/containerd.toml" --root "$dir/containerd-root" --state "$dir/containerd-state" \
      --address "$dir/containerd.sock" >"$dir/containerd.log" 2>&1 < /dev/null &
    echo $! > "$dir/containerd.pid"
    wait_ready ctr --address "$dir/containerd.sock" version
    "$HERE/build-images.sh" --containerd "$dir/containerd.sock" >/dev/null
    ctr --address "$dir/containerd.sock" -n k8s.io images push --plain-http "$registry/peapod/busybox:1.36" docker.io/peapod/busybox:1.36 >/dev/null
    echo "$dir/containerd.sock"
    echo "$registry"
    ;;
  stop)
    # Containers first (so no shim outlives its engine), then the engines, waiting for each.
    if [ -S "$dir/docker.sock" ]; then
      ids=$(docker -H "unix://$dir/docker.sock" ps -aq 2>/dev/null || true)
      [ -z "$ids" ] || docker -H "unix://$dir/docker.sock" rm -f $ids >/dev/null 2>&1 || true
    fi
    if [ -S "$dir/containerd.sock" ]; then
      for t in $(ctr --address "$dir/containerd.sock" -n k8s.io tasks ls -q 2>/dev/null || true); do
        ctr --address "$dir/containerd.sock" -n k8s.io tasks kill -s SIGKILL "$t" >/dev/null 2>&1 || true
      done
    fi
    for p in dockerd containerd registry; do
      [ -s "$dir/$p.pid" ] || continue
      pid=$(cat "$dir/$p.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$dir/$p.pid"
    done
    # Shims re-parent to init; kill those started for this DIR.
    for pid in $(pgrep -f "containerd-shim.*$dir" || true); do kill -9 "$pid" 2>/dev/null || true; done
    umount -R "$dir"/*/ 2>/dev/null || true
    for m in $(awk -v d="$dir" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r); do umount -l "$m" 2>/dev/null || true; done
    rm -rf "$dir"
    ;;
  *) echo "usage: $0 docker|containerd|stop DIR" >&2; exit 2 ;;
esac
