# Shared by scripts/lab.sh and scripts/test.sh: find the repository, and install the tools the
# browser lab needs, each only when it is missing, so that both scripts are safe to run again.
# Sourced, not run.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
# rustup puts cargo here; a fresh shell (CI, sudo) may not have it on PATH yet.
if [ -d "$HOME/.cargo/bin" ]; then
  PATH="$HOME/.cargo/bin:$PATH"
fi
export PATH DEBIAN_FRONTEND=noninteractive

# The wasm-opt the bundle is shrunk with. Debian's binaryen and the crate registry's wasm-opt are
# too old to read what wasm-bindgen 0.2.130 writes (table.fill); the npm build of 132 reads it.
BINARYEN_NPM=binaryen@132.0.0
TOOLS_DIR=$ROOT/tools

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

need_cargo() {
  command -v cargo >/dev/null 2>&1 && command -v rustup >/dev/null 2>&1 ||
    die "cargo and rustup are needed: install Rust from your distribution or rustup, then run this again"
}

# Installs the Debian packages given that are not installed yet; `apt-get update` runs only when
# something is missing, so a machine that has everything does not touch the network.
ensure_apt() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" -eq 0 ] || die "missing Debian packages: ${missing[*]} (run as root, or install them first)"
  log "apt-get install ${missing[*]}"
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
}

ensure_wasm_target() {
  rustup target list --installed | grep -qx wasm32-unknown-unknown && return 0
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
}

# The wasm-bindgen version the lock file resolved (the crate pins it exactly in web/Cargo.toml,
# which is the fallback before the lock file exists).
wasm_bindgen_version() {
  local v=""
  if [ -f "$ROOT/Cargo.lock" ]; then
    v=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' "$ROOT/Cargo.lock")
  fi
  if [ -z "$v" ]; then
    v=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)".*/\1/p' "$ROOT/web/Cargo.toml")
  fi
  [ -n "$v" ] || die "cannot tell which wasm-bindgen version the web crate uses"
  printf '%s\n' "$v"
}

# The CLI must be exactly the crate's version or it refuses the module. Installed without
# --locked: the lock file shipped with wasm-bindgen-cli 0.2.130 names a webpki-roots release the
# registry index here does not have.
ensure_wasm_bindgen() {
  local want have
  want=$(wasm_bindgen_version)
  have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }')
  [ "$have" = "$want" ] && return 0
  log "cargo install wasm-bindgen-cli --version $want (takes about 4 minutes)"
  cargo install wasm-bindgen-cli --version "$want" --force
}

# Optional: leaves `wasm-opt` at $TOOLS_DIR/node_modules/.bin/wasm-opt when npm is there.
ensure_wasm_opt() {
  local bin=$TOOLS_DIR/node_modules/.bin/wasm-opt
  local pkg=$TOOLS_DIR/node_modules/binaryen/package.json
  if [ -x "$bin" ] && grep -q "\"version\": \"${BINARYEN_NPM#binaryen@}\"" "$pkg" 2>/dev/null; then
    return 0
  fi
  if ! command -v npm >/dev/null 2>&1; then
    log "npm not found: the bundle will not be shrunk with wasm-opt (it still works)"
    return 0
  fi
  log "npm install $BINARYEN_NPM into tools/"
  mkdir -p "$TOOLS_DIR"
  npm install --prefix "$TOOLS_DIR" --no-audit --no-fund --no-save --loglevel=error "$BINARYEN_NPM" </dev/null ||
    log "could not install $BINARYEN_NPM: the bundle will not be shrunk with wasm-opt (it still works)"
}

# Builds the page's bundle into www/pkg: the web crate with the size-optimised `wasm-release`
# profile, then wasm-bindgen's glue for `--target web`, then wasm-opt if it is installed.
build_bundle() {
  local wasm=$TARGET_DIR/wasm32-unknown-unknown/wasm-release/layerlab_web.wasm
  local out=$ROOT/www/pkg
  local opt=$TOOLS_DIR/node_modules/.bin/wasm-opt
  log "cargo build -p layerlab-web --profile wasm-release --target wasm32-unknown-unknown"
  # Explicit `|| return`: callers may run this where `set -e` is off (`step ... || rc=$?`).
  (cd "$ROOT" && cargo build -p layerlab-web --bin layerlab_web --profile wasm-release \
    --target wasm32-unknown-unknown) || return 1
  rm -rf "$out"
  wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name layerlab_web "$wasm" || return 1
  if [ -x "$opt" ]; then
    "$opt" -Oz "$out/layerlab_web_bg.wasm" -o "$out/layerlab_web_bg.opt.wasm" || return 1
    mv "$out/layerlab_web_bg.opt.wasm" "$out/layerlab_web_bg.wasm" || return 1
  fi
}

# Prints the shipped size of the bundle (wasm + js), raw and gzip -9, and sets BUNDLE_GZIP_BYTES.
report_bundle_size() {
  local f raw gz total_raw=0 total_gz=0
  for f in "$ROOT/www/pkg/layerlab_web_bg.wasm" "$ROOT/www/pkg/layerlab_web.js"; do
    [ -f "$f" ] || { printf 'missing %s\n' "$f" >&2; return 1; }
    raw=$(wc -c <"$f")
    gz=$(gzip -9 -c "$f" | wc -c)
    printf '    %-22s %9d bytes  %9d gzip -9\n' "$(basename "$f")" "$raw" "$gz" >&2
    total_raw=$((total_raw + raw))
    total_gz=$((total_gz + gz))
  done
  printf '    %-22s %9d bytes  %9d gzip -9\n' "total" "$total_raw" "$total_gz" >&2
  BUNDLE_GZIP_BYTES=$total_gz
}
