#!/usr/bin/env bash
# Installs what Backend Dojo needs to build, run and test, and nothing that is already
# there: system packages, npm packages for the UI and the test suites, tauri-driver and
# cargo-deny.
# `make run` and `make test` both start with it; a second run does no work.
set -euo pipefail
cd "$(dirname "$0")/.."

TOOLS_DIR=${TOOLS_DIR:-$HOME/.cache/backend-dojo/tools}
TAURI_DRIVER_VERSION=2.1.0
CARGO_DENY_VERSION=0.20.2

# Build: Tauri's WebKitGTK stack; libcurl, libxml2 and libclang for the drill engine
# (the hurl crate). Test: a virtual display, the WebKit driver, Chromium, poppler (PDF
# checks), Redis (session and cache stores), Python virtualenvs (test tools from PyPI),
# xdotool (native dialogs and menus in desktop tests), aiosmtpd (an SMTP server for mail
# delivery tests).
APT_PACKAGES=(
  build-essential pkg-config curl wget file libssl-dev
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev
  libcurl4-openssl-dev libxml2-dev libclang-dev
  xvfb xauth x11-apps imagemagick dbus-x11 at-spi2-core fonts-dejavu-core
  webkit2gtk-driver chromium poppler-utils redis-server python3-venv xdotool python3-aiosmtpd
)

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_system_packages() {
  local missing=()
  for package in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' \
      || missing+=("$package")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return
  fi
  say "installing system packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

# npm ci only when the lock file changed since the last install.
install_npm_packages() {
  local dir=$1
  if [ -f "$dir/node_modules/.package-lock.json" ] \
    && [ ! "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    return
  fi
  say "installing npm packages in $dir"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
}

# A Rust tool from crates.io at a pinned version, built once into $TOOLS_DIR.
install_cargo_tool() {
  local name=$1 version=$2 binary=$3
  if [ -x "$TOOLS_DIR/bin/$binary" ] && [ -f "$TOOLS_DIR/.$name-$version" ]; then
    return
  fi
  say "installing $name $version into $TOOLS_DIR"
  cargo install "$name" --version "$version" --locked --root "$TOOLS_DIR" --quiet
  touch "$TOOLS_DIR/.$name-$version"
}

# One virtualenv per Python tool, rebuilt only when its pinned requirement changes.
install_python_tool() {
  local name=$1 requirement=$2
  local venv="$TOOLS_DIR/venv-$name"
  if [ -f "$venv/.installed-$requirement" ]; then
    return
  fi
  say "installing $requirement into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "$requirement"
  touch "$venv/.installed-$requirement"
}

install_system_packages
install_python_tool fuzz schemathesis==4.32.5
scripts/mongo-test-server.sh install
install_npm_packages ui
install_npm_packages tests/web
install_npm_packages tests/desktop
install_npm_packages tests/postman
install_npm_packages tests/realtime
install_npm_packages packaging
install_cargo_tool tauri-driver "$TAURI_DRIVER_VERSION" tauri-driver
install_cargo_tool cargo-deny "$CARGO_DENY_VERSION" cargo-deny
