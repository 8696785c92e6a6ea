#!/usr/bin/env bash
# Installs everything Peapod's cluster and test suite need on a fresh Debian machine with Node.
# Idempotent and quick when everything is present. Run through `npm run setup` (no pnpm needed yet).
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=12.21.0
# bubblewrap: the process runtime's pod sandboxes; etcd: the etcd store backend and its tests;
# docker.io, containerd, busybox-static, docker-registry: the Docker and containerd adapters, their local images and a local registry for pull tests;
# chromium: the dashboard's browser tests; openssl: TLS test fixtures.
APT_PACKAGES=(bubblewrap etcd-server etcd-client docker.io containerd busybox-static docker-registry curl chromium openssl)

say() { printf '[setup] %s\n' "$*"; }

missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi
  say "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian's etcd-server package starts a system etcd on :2379 where systemd runs; tests start their own.
fi

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "$PNPM_VERSION" ]; then
  say "installing pnpm $PNPM_VERSION"
  npm install -g --silent "pnpm@$PNPM_VERSION" >/dev/null
fi

# better-sqlite3 compiles from source here; point node-gyp at the machine's Node headers.
export npm_config_nodedir="${npm_config_nodedir:-/usr}"
say "installing workspace dependencies"
if [ "${CI:-}" = true ]; then pnpm install --frozen-lockfile --reporter=silent; else pnpm install --reporter=silent; fi

say "building packages"
mkdir -p .nx
if ! NX_DAEMON=false NX_TUI=false pnpm -s nx run-many -t build --output-style=stream >.nx/setup-build.log 2>&1; then
  grep -E 'error|failed' .nx/setup-build.log | head -40
  say "build failed (full log: .nx/setup-build.log)"
  exit 1
fi
say "ready"
