#!/usr/bin/env bash
# Installs what the tests need, runs every test suite, and prints a summary. Exits non-zero if
# any step failed. Safe to run again; CI runs it on a fresh clone as root (.ci/run).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Every Debian package the tests use, in one place.
#   chromium, chromium-driver   the browser suites (wasm-bindgen-test drives headless Chromium)
#   docker-registry             a local registry for the native engine's pull and push tests
#   busybox-static              fixture images built by the tests
#   apache2-utils               htpasswd, for the registry's basic-auth tests
#   docker.io                   a private dockerd: the fidelity tests compare layerlab with real Docker
APT_PACKAGES=(chromium chromium-driver docker-registry busybox-static apache2-utils docker.io)

# The bundle the page ships (wasm + js, gzip -9) should stay under this. Over it, the summary
# says so; set LAYERLAB_STRICT_BUDGET=1 to make it fail the run.
BUNDLE_BUDGET_GZIP=$((400 * 1024))
STRICT_BUDGET=${LAYERLAB_STRICT_BUDGET:-0}

export CHROMEDRIVER=${CHROMEDRIVER:-/usr/bin/chromedriver}
# wasm-bindgen-test gives each browser test 20 s by default; the Files panel's 10,000-file
# benchmark test has needed more on a busy 2-core machine.
export WASM_BINDGEN_TEST_TIMEOUT=${WASM_BINDGEN_TEST_TIMEOUT:-120}
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

started=$SECONDS
cd "$ROOT"
need_cargo
log "installing what the tests need"
ensure_apt "${APT_PACKAGES[@]}"
ensure_wasm_target
ensure_wasm_bindgen
ensure_wasm_opt
install_secs=$((SECONDS - started))

# Every temporary file of the run goes under the target directory and is removed at the end: the
# browser test runner leaves a Chromium profile (about 65 MB) in the temporary directory per suite.
# Kept short: the tests put unix sockets in it.
export TMPDIR=$TARGET_DIR/t
rm -rf "$TMPDIR" && mkdir -p "$TMPDIR"
trap 'rm -rf "$TMPDIR"' EXIT

names=() results=() times=()
# Runs one step, records whether it passed and how long it took, and carries on either way so
# that the summary shows every failure at once.
step() {
  local name=$1 t0=$SECONDS rc=0
  shift
  printf '\n==> [%s] %s\n' "$name" "$*" >&2
  "$@" || rc=$?
  names+=("$name")
  times+=($((SECONDS - t0)))
  if [ "$rc" -eq 0 ]; then results+=(ok); else results+=("FAILED (exit $rc)"); fi
}

budget_note=""
check_bundle_budget() {
  build_bundle || return 1
  report_bundle_size || return 1
  if [ "$BUNDLE_GZIP_BYTES" -gt "$BUNDLE_BUDGET_GZIP" ]; then
    budget_note="bundle is $BUNDLE_GZIP_BYTES bytes gzipped, over the budget of $BUNDLE_BUDGET_GZIP"
    printf '%s\n' "$budget_note" >&2
    [ "$STRICT_BUDGET" = 1 ] && return 1
  fi
  return 0
}

# The integration tests run the `layerlab` binary itself; building it first lets them use it
# instead of building a second copy of their own.
step "build the layerlab binary" cargo build -p layerlab
# The browser end-to-end test in the host tests (tests/it/web_e2e.rs) serves www/pkg: build the
# bundle first.
step "bundle builds (size vs budget)" check_bundle_budget
step "host tests" cargo test --workspace --no-fail-fast
step "core builds for wasm32" cargo build -p layerlab-core --target wasm32-unknown-unknown
# --tests: doctests compiled for wasm reach the runner as binaries without tests and pass silently;
# doctests run in the host step above.
step "web wasm tests (node + headless Chromium)" \
  cargo test -p layerlab-web --target wasm32-unknown-unknown --tests --no-fail-fast
# Core's own unit tests use proptest, which does not build for wasm32; its wasm tests are the
# integration tests under core/tests/ (`--test '*'` picks those only).
if grep -rqs wasm_bindgen_test "$ROOT/core/tests"; then
  step "core wasm tests (node)" cargo test -p layerlab-core --target wasm32-unknown-unknown --test '*' --no-fail-fast
fi

passed=0 failed=0
printf '\n==> summary (installs took %ds)\n' "$install_secs"
for i in "${!names[@]}"; do
  printf '  %-45s %-18s %5ds\n' "${names[$i]}" "${results[$i]}" "${times[$i]}"
  if [ "${results[$i]}" = ok ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done
[ -z "$budget_note" ] || printf 'warning: %s\n' "$budget_note"
printf 'total time: %ds\n' $((SECONDS - started))
printf 'steps: %d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
