#!/usr/bin/env bash
# `ps -s` on a running container whose writable layer holds 10,000 new files: layerlab's native
# engine against `docker ps -s` (a private dockerd, overlay2), timed side by side by hyperfine.
# Both measure SIZE by walking the upper directory, so this compares the walk and everything around it.
#
# A benchmark, not a test: run it by hand, as root, on a quiet machine.
#   scripts/bench-ps.sh                                     # RUNS=30 WARMUP=3 by default
#   LAYERLAB_BIN=target/release/layerlab scripts/bench-ps.sh   # skip the release build
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-30}
WARMUP=${WARMUP:-3}
FILES=${FILES:-10000}

if [ "$(id -u)" != 0 ]; then
  echo "bench-ps.sh needs root (dockerd, overlay mounts)" >&2
  exit 1
fi
for tool in hyperfine skopeo docker-registry python3 busybox curl; do
  if ! command -v "$tool" >/dev/null; then
    echo "missing $tool: apt-get install -y hyperfine skopeo docker-registry python3 busybox-static curl" >&2
    exit 1
  fi
done
DOCKERD=$(command -v dockerd || true)
if [ -z "$DOCKERD" ] || [ ! -x /usr/bin/docker ]; then
  echo "missing dockerd or /usr/bin/docker: apt-get install -y docker.io" >&2
  exit 1
fi

LL=''
# shellcheck source=scripts/bench-common.sh
. "$ROOT/scripts/bench-common.sh"
bench_before_cleanup() { [ -z "$LL" ] || $LL rm -f psbench >/dev/null 2>&1; }
bench_start ps

bin=$(bench_layerlab_bin)

# --- a busybox image in a loopback registry ---------------------------------------------------
python3 - "$WORK/oci" "$(command -v busybox)" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
out, busybox = sys.argv[1], sys.argv[2]
blobs = os.path.join(out, "blobs", "sha256")
os.makedirs(blobs)
def put(data):
    d = hashlib.sha256(data).hexdigest()
    open(os.path.join(blobs, d), "wb").write(data)
    return "sha256:" + d
raw = io.BytesIO()
with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as t:
    def add(name, data=None, mode=0o755, link=None):
        info = tarfile.TarInfo(name)
        info.mtime, info.mode = 1704067200, mode
        if link:
            info.type, info.linkname = tarfile.SYMTYPE, link
            t.addfile(info)
        elif data is None:
            info.type = tarfile.DIRTYPE
            t.addfile(info)
        else:
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    for d in ("bin", "etc", "tmp", "proc", "sys", "dev"):
        add(d)
    add("bin/busybox", open(busybox, "rb").read())
    for applet in ("sh", "sleep", "seq", "touch", "mkdir", "true"):
        add("bin/" + applet, link="busybox")
    add("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n", 0o644)
tar = raw.getvalue()
gz = gzip.compress(tar, mtime=0)
config = json.dumps({"created": "2024-01-01T00:00:00Z", "architecture": "amd64", "os": "linux",
                     "config": {"Cmd": ["sh"], "Env": ["PATH=/bin"]},
                     "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(tar).hexdigest()]},
                     "history": [{"created_by": "busybox"}]}).encode()
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(config), "size": len(config)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": put(gz), "size": len(gz)}]}).encode()
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": put(manifest), "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": "1.0"}}]},
    open(os.path.join(out, "index.json"), "w"))
json.dump({"imageLayoutVersion": "1.0.0"}, open(os.path.join(out, "oci-layout"), "w"))
PY
bench_registry "$WORK"
REF=$REG_HOST/bench/ps:1.0
skopeo copy --quiet --dest-tls-verify=false "oci:$WORK/oci:1.0" "docker://$REF"

# The same container on both engines: it writes $FILES new one-byte files, then waits.
SCRIPT="mkdir /data && for i in \$(seq $FILES); do echo > /data/f\$i; done && touch /ready && sleep 3600"

LL="$bin --root $WORK/ll-root"
$LL pull -q "$REF" >/dev/null
$LL run -d --name psbench "$REF" sh -c "$SCRIPT" >/dev/null

bench_dockerd "$WORK"
$D pull -q "$REF" >/dev/null
$D run -d --name psbench --network none "$REF" sh -c "$SCRIPT" >/dev/null

# Wait until both containers have written everything.
for _ in $(seq 600); do
  ll_ready=$($LL exec psbench sh -c 'test -e /ready && echo yes' 2>/dev/null || true)
  d_ready=$($D exec psbench sh -c 'test -e /ready && echo yes' 2>/dev/null || true)
  [ "$ll_ready" = yes ] && [ "$d_ready" = yes ] && break
  sleep 0.2
done
echo "layerlab: $($LL ps -s | tail -n 1)" >&2
echo "docker:   $($D ps -s | tail -n 1)" >&2

hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$WORK/ps.json" \
  -n "layerlab ps -s" "$LL ps -s" \
  -n "docker ps -s" "$D ps -s" >&2

python3 - "$WORK/ps.json" "$FILES" <<'PY'
import json, statistics, sys
results = json.load(open(sys.argv[1]))["results"]
med = {r["command"]: statistics.median(r["times"]) for r in results}
print(f"\nps -s with {sys.argv[2]} changed files in the writable layer")
print(f"{'command':<18}{'median':>10}{'min':>10}{'max':>10}")
for r in results:
    print(f"{r['command']:<18}{med[r['command']]*1000:>8.1f}ms{min(r['times'])*1000:>8.1f}ms{max(r['times'])*1000:>8.1f}ms")
print(f"layerlab / docker: {med['layerlab ps -s'] / med['docker ps -s']:.2f}")
PY
