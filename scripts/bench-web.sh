#!/usr/bin/env bash
# Benchmarks the browser lab in headless Chromium and prints a table: the bundle's shipped size
# (gzip -9, wasm + js; target under 400 KiB), time to first render, time from a command to the
# updated pictures for an image of 10,000 files (target under 50 ms), and time to open a 100 MB
# docker save tarball. A benchmark, not a test: it reports, it does not fail on a slow figure.
#
#   scripts/bench-web.sh            build the release bundle into www/pkg, then measure
#   scripts/bench-web.sh --no-build measure the bundle already in www/pkg
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

build=1
case "${1:-}" in
  "") ;;
  --no-build) build=0 ;;
  -h | --help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown option '$1' (use --no-build, or nothing)" ;;
esac

cd "$ROOT"
need_cargo
ensure_apt chromium chromium-driver
if [ "$build" -eq 1 ]; then
  ensure_wasm_target
  ensure_wasm_bindgen
  ensure_wasm_opt
  build_bundle
fi
log "bundle size:"
report_bundle_size
export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
# The driver only waits on the browser; timings are taken inside the page. The dev profile reuses
# the test build instead of compiling every dependency again for release.
cargo bench -p layerlab-tests --bench web_page --profile dev
