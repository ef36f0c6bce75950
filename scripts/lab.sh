#!/usr/bin/env bash
# Builds the browser lab and serves it on http://127.0.0.1:$PORT/ (default 8080).
# Installs what it needs first (wasm32 target, the matching wasm-bindgen CLI, wasm-opt from npm);
# safe to run again. Everything runs offline once installed: the simulator is in the bundle.
#
#   scripts/lab.sh               build, then serve until Ctrl-C
#   scripts/lab.sh --build-only  build www/pkg and stop
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

serve=1
case "${1:-}" in
  "") ;;
  --build-only) serve=0 ;;
  -h | --help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown option '$1' (use --build-only, or nothing to build and serve)" ;;
esac

need_cargo
ensure_wasm_target
ensure_wasm_bindgen
ensure_wasm_opt
build_bundle
log "bundle size:"
report_bundle_size

[ "$serve" -eq 1 ] || exit 0
port=${PORT:-8080}
case "$port" in
  '' | *[!0-9]*) die "PORT must be a number, got '$port'" ;;
esac
command -v python3 >/dev/null 2>&1 || die "python3 is needed to serve www/ (apt-get install python3)"
echo "layerlab is at http://127.0.0.1:$port/  (Ctrl-C stops it)"
exec python3 -m http.server "$port" --bind 127.0.0.1 --directory "$ROOT/www"
