#!/usr/bin/env bash
# `make dist`: Backend Dojo's desktop app as a release .deb with its icon, a desktop entry
# and the `dojo://` link handler, built by the Tauri bundler from src-tauri/tauri.conf.json.
# Prints the package's path and size, then what it holds.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${CARGO_TARGET_DIR:=$HOME/.cache/backend-dojo/target}"
export CARGO_TARGET_DIR

tauri=packaging/node_modules/.bin/tauri
[ -x "$tauri" ] || { echo "dist: $tauri is missing; run scripts/setup.sh" >&2; exit 1; }
[ -f ui/dist/index.html ] || { echo "dist: ui/dist is missing; run make ui" >&2; exit 1; }

bundle_dir="$CARGO_TARGET_DIR/release/bundle/deb"
rm -f "$bundle_dir"/*.deb
(cd src-tauri && "../$tauri" build --bundles deb --ci)

deb=$(ls "$bundle_dir"/*.deb)
echo "dist: $deb ($(du -h "$deb" | cut -f1))"
dpkg-deb --info "$deb" | sed -n 's/^ \(Package\|Version\|Depends\|Installed-Size\):/dist:   \1:/p'
dpkg-deb --contents "$deb" | sed -E 's/^([^ ]+ +){5}//' \
  | grep -E 'bin/.|\.desktop$|128x128/apps/.' | sed 's/^/dist:   /'
