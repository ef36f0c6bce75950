#!/usr/bin/env bash
# Start latency of `run --rm IMAGE true` with the image present, timed side by side by hyperfine:
# - the whole `layerlab run --rm` command (the image pulled from a loopback registry first),
#   against `docker run --rm` (a private dockerd) and `podman run --rm` (private storage) with the
#   same image, when those are installed;
# - layerlab's runtime alone (fresh overlay or vfs container, namespaces, pivot_root, exec
#   /bin/true, wait, remove: native/benches/run_latency.rs), against `crun run` and the bare floor
#   (`unshare ... chroot`).
# Prints medians and ratios.
#
# A benchmark, not a test: run it by hand, as root, on a quiet machine.
#   scripts/bench-run.sh            # RUNS=50 WARMUP=10 by default
#
# crun 1.8 refuses every container while a cgroup v1 controller sits unbound in the v2 hierarchy
# (this lab's machines: hugetlb). CRUN_CGFIX=1 binds hugetlb to a v1 hierarchy inside a private
# mount namespace for the duration of the timing; the binding ends with that namespace (crun runs
# with --cgroup-manager=disabled, so it leaves no cgroup that would keep the hierarchy alive).
# Without it, a crun that cannot run is reported and left out.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-50}
WARMUP=${WARMUP:-10}

if [ "$(id -u)" != 0 ]; then
  echo "bench-run.sh needs root (namespaces and overlay mounts)" >&2
  exit 1
fi
for tool in hyperfine busybox python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "missing $tool: apt-get install -y hyperfine busybox-static python3" >&2
    exit 1
  fi
done

# shellcheck source=scripts/bench-common.sh
. "$ROOT/scripts/bench-common.sh"
bench_start run

# Two layers, as the snapshotter leaves them: busybox and its applets, then a small top layer.
base=$WORK/layers/base top=$WORK/layers/top
mkdir -p "$base"/{bin,etc,tmp,root,proc,sys,dev} "$top/etc"
cp "$(command -v busybox)" "$base/bin/busybox"
for applet in $(busybox --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$base/bin/$applet"
done
echo 'root:x:0:0:root:/root:/bin/sh' >"$base/etc/passwd"
echo 'root:x:0:' >"$base/etc/group"
echo 'bench' >"$top/etc/motd"

# The same files as one flat tree, for the floor and for crun.
flat=$WORK/bundle/rootfs
mkdir -p "$flat"
cp -a "$base/." "$flat/"
cp -a "$top/." "$flat/"

# BENCH_BIN: a run_latency binary built elsewhere (otherwise it is built here, optimised).
bin=${BENCH_BIN:-}
if [ -z "$bin" ]; then
  echo "building the runtime bench binary (release)..." >&2
  bin=$(cd "$ROOT" && cargo bench -p layerlab --bench run_latency --no-run 2>&1 |
    sed -n 's/.*Executable .*(\(.*\)).*/\1/p' | tail -n 1)
  if [ -z "$bin" ]; then
    echo "could not build the run_latency bench binary" >&2
    exit 1
  fi
  case $bin in /*) ;; *) bin=$ROOT/$bin ;; esac
fi

# hyperfine times one command after another, and what a command leaves for the disk to write
# slows the next one down: crun and the whole `run --rm` commands come right after the light
# runtime timing, and vfs (a full copy of the image per run) comes last.
commands=(
  -n "floor: unshare+chroot" "unshare --mount --pid --net --uts --ipc --fork chroot $flat /bin/true"
  -n "layerlab overlay" "$bin --once $WORK/c-overlay overlay $top $base"
)

crun_note=""
# With CRUN_CGFIX=1 everything is timed inside one private mount namespace where hugetlb is bound
# to a v1 hierarchy; the other commands do not touch hugetlb, so their numbers are unaffected.
wrap=()
if [ "${CRUN_CGFIX:-0}" = 1 ]; then
  wrap=(unshare --mount sh -c 'mkdir -p /sys/fs/cgroup/hugetlb &&
    mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb && exec "$@"' wrap)
fi
if command -v crun >/dev/null; then
  (cd "$WORK/bundle" && crun spec)
  python3 - "$WORK/bundle/config.json" <<'EOF'
import json, sys
path = sys.argv[1]
spec = json.load(open(path))
spec["process"]["args"] = ["/bin/true"]
spec["process"]["terminal"] = False
spec["root"]["readonly"] = True
json.dump(spec, open(path, "w"), indent=2)
EOF
  crun_cmd="crun --cgroup-manager=disabled run -b $WORK/bundle layerlab-bench-$$"
  # shellcheck disable=SC2086
  if err=$("${wrap[@]}" $crun_cmd 2>&1); then
    commands+=(-n "crun" "$crun_cmd")
  else
    crun_note="crun could not run here: $err (CRUN_CGFIX=1 times it with hugetlb bound to v1 in a private mount namespace)"
  fi
else
  crun_note="crun is not installed (apt-get install -y crun)"
fi

# --- whole commands: the same two layers as an image in a loopback registry -------------------
cli=$(bench_layerlab_bin)
if command -v docker-registry >/dev/null && command -v skopeo >/dev/null; then
  python3 - "$WORK/oci" "$base" "$top" <<'EOF'
import gzip, hashlib, io, json, os, sys, tarfile
out, layer_dirs = sys.argv[1], sys.argv[2:]
blobs = os.path.join(out, "blobs", "sha256")
os.makedirs(blobs)
def put(data):
    d = hashlib.sha256(data).hexdigest()
    open(os.path.join(blobs, d), "wb").write(data)
    return "sha256:" + d
diff_ids, layers = [], []
for d in layer_dirs:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as t:
        for name in sorted(os.listdir(d)):
            t.add(os.path.join(d, name), arcname=name)
    tar = raw.getvalue()
    gz = gzip.compress(tar, mtime=0)
    diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
    layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": put(gz), "size": len(gz)})
config = json.dumps({"created": "2024-01-01T00:00:00Z", "architecture": "amd64", "os": "linux",
                     "config": {"Cmd": ["/bin/true"], "Env": ["PATH=/bin"]},
                     "rootfs": {"type": "layers", "diff_ids": diff_ids},
                     "history": [{"created_by": "busybox"}, {"created_by": "motd"}]}).encode()
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": put(config), "size": len(config)},
    "layers": layers}).encode()
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
    "digest": put(manifest), "size": len(manifest), "annotations": {"org.opencontainers.image.ref.name": "1.0"}}]},
    open(os.path.join(out, "index.json"), "w"))
json.dump({"imageLayoutVersion": "1.0.0"}, open(os.path.join(out, "oci-layout"), "w"))
EOF
  bench_registry "$WORK"
  REF=$REG_HOST/bench/true:1.0
  skopeo copy --quiet --dest-tls-verify=false "oci:$WORK/oci:1.0" "docker://$REF"

  "$cli" --root "$WORK/ll-root" pull -q "$REF" >/dev/null
  commands+=(-n "layerlab run --rm" "$cli --root $WORK/ll-root run --rm $REF /bin/true")

  if [ -x /usr/bin/docker ] && bench_dockerd "$WORK"; then
    if $D pull -q "$REF" >/dev/null 2>&1; then
      commands+=(-n "docker run --rm" "$D run --rm --network none $REF /bin/true")
    else
      echo "docker could not pull the image; docker run is left out" >&2
    fi
  fi
  if command -v podman >/dev/null; then
    bench_podman "$WORK"
    if $P pull -q --tls-verify=false "$REF" >/dev/null 2>&1 && $P run --rm --network none "$REF" /bin/true 2>/dev/null; then
      commands+=(-n "podman run --rm" "$P run --rm --network none $REF /bin/true")
    else
      echo "podman could not pull or run the image; podman run is left out" >&2
    fi
  fi
else
  echo "docker-registry or skopeo missing: only the runtime is timed (apt-get install -y docker-registry skopeo)" >&2
fi

commands+=(-n "layerlab vfs" "$bin --once $WORK/c-vfs vfs $top $base")

"${wrap[@]}" hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --export-json "$WORK/result.json" "${commands[@]}" >&2
if [ "${CRUN_CGFIX:-0}" = 1 ]; then
  # The kernel frees the v1 hierarchy a moment after the namespace ends; check that it did.
  for _ in $(seq 50); do
    grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null && break
    sleep 0.1
  done
  echo "cgroup2 controllers after the run: $(cat /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null)" >&2
fi
echo "load average during the run: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

python3 - "$WORK/result.json" <<'EOF'
import json, statistics, sys
results = json.load(open(sys.argv[1]))["results"]
floor = statistics.median(results[0]["times"])
# cpu: user + system time of the command and its children (hyperfine's means; work done by a
# daemon such as dockerd is not in it). On a busy machine the wall times mostly measure waiting
# for a core, while the CPU a command spends stays steady.
print(f"{'command':<40} {'median':>10} {'min':>10} {'max':>10} {'x floor':>8} {'cpu':>10}")
for r in results:
    med = statistics.median(r["times"])
    cpu = r["user"] + r["system"]
    print(f"{r['command']:<40} {med*1000:>8.2f}ms {min(r['times'])*1000:>8.2f}ms "
          f"{max(r['times'])*1000:>8.2f}ms {med/floor:>8.2f} {cpu*1000:>8.2f}ms")
by_name = {r["command"]: statistics.median(r["times"]) for r in results}
cpu_by_name = {r["command"]: r["user"] + r["system"] for r in results}
if "crun" in by_name:
    crun = by_name["crun"]
    print(f"layerlab runtime (overlay) / crun: {by_name['layerlab overlay'] / crun:.2f}   (target: at most 1)")
    if "layerlab run --rm" in by_name:
        print(f"layerlab run --rm / crun: {by_name['layerlab run --rm'] / crun:.2f}   (target: at most 1)"
              f"; CPU: {cpu_by_name['layerlab run --rm'] / cpu_by_name['crun']:.2f}")
cli = by_name.get("layerlab run --rm")
for peer in ("podman run --rm", "docker run --rm"):
    if cli and peer in by_name:
        print(f"{peer} / layerlab run --rm: {by_name[peer] / cli:.1f}x   (podman target: at least 15x)")
EOF
if [ -n "$crun_note" ]; then
  echo "$crun_note" | head -n 3
fi
