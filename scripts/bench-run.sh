#!/usr/bin/env bash
# Start latency of layerlab's runtime (`run --rm IMAGE true` style: fresh overlay or vfs container,
# namespaces, pivot_root, exec /bin/true, wait, remove) against crun and the bare floor
# (`unshare ... chroot`), timed side by side by hyperfine. Prints medians and ratios.
#
# A benchmark, not a test: run it by hand, as root, on a quiet machine.
#   scripts/bench-run.sh            # RUNS=200 WARMUP=10 by default
#
# crun 1.8 refuses every container while a cgroup v1 controller sits unbound in the v2 hierarchy
# (this lab's machines: hugetlb). CRUN_CGFIX=1 binds hugetlb to a v1 hierarchy inside a private
# mount namespace for the duration of the timing; the binding ends with that namespace (crun runs
# with --cgroup-manager=disabled, so it leaves no cgroup that would keep the hierarchy alive).
# Without it, a crun that cannot run is reported and left out.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-200}
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

WORK=$(mktemp -d /tmp/layerlab-bench.XXXXXX)
trap 'umount -l "$WORK"/c-*/merged 2>/dev/null || true; rm -rf "$WORK"' EXIT

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

commands=(
  -n "floor: unshare+chroot" "unshare --mount --pid --net --uts --ipc --fork chroot $flat /bin/true"
  -n "layerlab overlay" "$bin --once $WORK/c-overlay overlay $top $base"
  -n "layerlab vfs" "$bin --once $WORK/c-vfs vfs $top $base"
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
print(f"{'command':<40} {'median':>10} {'min':>10} {'max':>10} {'x floor':>8}")
for r in results:
    med = statistics.median(r["times"])
    print(f"{r['command']:<40} {med*1000:>8.2f}ms {min(r['times'])*1000:>8.2f}ms "
          f"{max(r['times'])*1000:>8.2f}ms {med/floor:>8.2f}")
by_name = {r["command"]: statistics.median(r["times"]) for r in results}
if "crun" in by_name:
    crun = by_name["crun"]
    ov = by_name["layerlab overlay"]
    print(f"layerlab overlay / crun: {ov / crun:.2f}")
EOF
if [ -n "$crun_note" ]; then
  echo "$crun_note" | head -n 3
fi
