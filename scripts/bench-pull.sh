#!/usr/bin/env bash
# Cold pulls of a ~200 MB, 6-layer image from a loopback registry: layerlab's native engine
# against `docker pull` (a private dockerd, overlay2), `podman pull` (private storage, overlay)
# and `skopeo copy` to an OCI directory (download and verify only, no unpacking), timed side by
# side by hyperfine. Prints medians and ratios.
#
# A benchmark, not a test: run it by hand, as root, on a quiet machine.
#   scripts/bench-pull.sh              # RUNS=10 (over ROUNDS=3) WARMUP=1 by default
#   LAYERLAB_BIN=target/release/layerlab scripts/bench-pull.sh   # skip the release build
#
# The image is made here, offline: busybox as the base layer, then five layers of 40 MiB from
# /dev/urandom each (incompressible, so gzip costs what it costs on real binaries, and nothing is
# faster merely because it compresses well).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-10}
WARMUP=${WARMUP:-1}

if [ "$(id -u)" != 0 ]; then
  echo "bench-pull.sh needs root (dockerd, and layerlab's snapshots keep file owners)" >&2
  exit 1
fi
for tool in hyperfine skopeo podman docker-registry python3 busybox; do
  if ! command -v "$tool" >/dev/null; then
    echo "missing $tool: apt-get install -y hyperfine skopeo podman docker-registry python3 busybox-static" >&2
    exit 1
  fi
done
DOCKERD=$(command -v dockerd || true)
DOCKER=/usr/bin/docker
if [ -z "$DOCKERD" ] || [ ! -x "$DOCKER" ]; then
  echo "missing dockerd or /usr/bin/docker: apt-get install -y docker.io" >&2
  exit 1
fi

# shellcheck source=scripts/bench-common.sh
. "$ROOT/scripts/bench-common.sh"
bench_start pull

bin=$(bench_layerlab_bin)

# --- the image, as an OCI layout -------------------------------------------------------------
echo "making the 6-layer image..." >&2
python3 - "$WORK/image" "$(command -v busybox)" <<'PY'
import gzip, hashlib, io, json, os, sys, tarfile
out, busybox = sys.argv[1], sys.argv[2]
blobs = os.path.join(out, "blobs", "sha256")
os.makedirs(blobs)
def put(data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(blobs, d), "wb") as f:
        f.write(data)
    return "sha256:" + d
def layer(entries):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name, data, mode in entries:
            info = tarfile.TarInfo(name)
            info.mtime, info.mode = 1704067200, mode
            if data is None:
                info.type = tarfile.DIRTYPE
                t.addfile(info)
            else:
                info.size = len(data)
                t.addfile(info, io.BytesIO(data))
    tar = raw.getvalue()
    gz = gzip.compress(tar, compresslevel=1, mtime=0)
    return "sha256:" + hashlib.sha256(tar).hexdigest(), gz
layers = [layer([("bin", None, 0o755), ("bin/busybox", open(busybox, "rb").read(), 0o755),
                 ("etc", None, 0o755), ("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n", 0o644)])]
for i in range(1, 6):
    layers.append(layer([("data", None, 0o755), (f"data/blob{i}.bin", os.urandom(40 << 20), 0o644)]))
history = [{"created": "2024-01-01T00:00:00Z", "created_by": "ADD busybox / # bench base"}]
history += [{"created": "2024-01-01T00:00:00Z", "created_by": f"COPY blob{i}.bin /data/ # 40 MiB random"} for i in range(1, 6)]
config = json.dumps({"created": "2024-01-01T00:00:00Z", "architecture": "amd64", "os": "linux",
                     "config": {"Cmd": ["busybox", "du", "-sh", "/data"], "Env": ["PATH=/bin"]},
                     "rootfs": {"type": "layers", "diff_ids": [d for d, _ in layers]},
                     "history": history}).encode()
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(config), "size": len(config)},
    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": put(gz), "size": len(gz)} for _, gz in layers]}).encode()
index = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": put(manifest), "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": "1.0"}}]}
json.dump(index, open(os.path.join(out, "index.json"), "w"))
json.dump({"imageLayoutVersion": "1.0.0"}, open(os.path.join(out, "oci-layout"), "w"))
print("compressed bytes:", sum(len(gz) for _, gz in layers), file=sys.stderr)
PY

# --- the registry ----------------------------------------------------------------------------
bench_registry "$WORK"
REF=$REG_HOST/bench/big:1.0
skopeo copy --quiet --dest-tls-verify=false "oci:$WORK/image:1.0" "docker://$REF"

# --- a private dockerd -----------------------------------------------------------------------
bench_dockerd "$WORK"

# --- podman, with private storage and the rlimits this machine allows (see peers.md) ---------
bench_podman "$WORK"

# --- timings ---------------------------------------------------------------------------------
LL_ROOT=$WORK/layerlab-root
# On 2 shared cores, other work moves every number. hyperfine times one command's runs back to
# back, so load that comes and goes would favour whichever tool ran in a quiet minute; the runs
# are therefore spread over ROUNDS rounds, each timing every tool in turn, and the medians are
# taken over all rounds. The load average is printed with the results.
ROUNDS=${ROUNDS:-3}
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq "$ROUNDS"); do
  hyperfine --style basic --runs "$(( (RUNS + ROUNDS - 1) / ROUNDS ))" --warmup "$WARMUP" \
    --export-json "$WORK/pull-$round.json" \
    -n layerlab --prepare "rm -rf $LL_ROOT; sync" "$bin --engine native --root $LL_ROOT pull -q $REF" \
    -n "docker pull" --prepare "$D rmi -f $REF >/dev/null 2>&1 || true; sync" "$D pull -q $REF" \
    -n "podman pull" --prepare "$P rmi -af >/dev/null 2>&1 || true; sync" "$P pull -q --tls-verify=false $REF" \
    -n "skopeo copy (no unpack)" --prepare "rm -rf $WORK/oci; sync" \
    "skopeo copy --quiet --src-tls-verify=false docker://$REF oci:$WORK/oci:big" >&2
done

python3 - "$LOAD_BEFORE" "$(cut -d' ' -f1-3 /proc/loadavg)" "$WORK"/pull-*.json <<'PY'
import json, statistics, sys
times, cpu = {}, {}
for path in sys.argv[3:]:
    for r in json.load(open(path))["results"]:
        times.setdefault(r["command"], []).extend(r["times"])
        # The client's own CPU (user + system): the daemons' work for docker and podman is not in it.
        cpu.setdefault(r["command"], []).append((r["user"] + r["system"]) * 1000)
med = {c: statistics.median(t) for c, t in times.items()}
ll = med["layerlab"]
print(f"\n{'command':<26}{'median':>10}{'min':>10}{'max':>10}{'client CPU':>12}{'layerlab / it':>15}")
for c, t in times.items():
    m = med[c]
    print(f"{c:<26}{m*1000:>8.0f}ms{min(t)*1000:>8.0f}ms{max(t)*1000:>8.0f}ms{statistics.mean(cpu[c]):>10.0f}ms{ll/m:>14.2f}x")
print(f"\n{len(times['layerlab'])} runs each, in {len(sys.argv) - 3} rounds")
print(f"load average (1, 5, 15 min): {sys.argv[1]} before, {sys.argv[2]} after")
print("target: layerlab / docker pull and layerlab / podman pull at most 0.35")
PY
