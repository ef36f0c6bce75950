# Shared by the bench-*.sh scripts (sourced, not run): a scratch directory cleaned up on exit, a
# loopback registry, and a private dockerd, each started the same way for every benchmark.

BENCH_WORK='' REG_PID='' DOCKERD_PID=''

# Called by the EXIT trap; a script may define bench_before_cleanup to stop its own containers first.
bench_cleanup() {
  if declare -F bench_before_cleanup >/dev/null; then bench_before_cleanup || true; fi
  [ -n "$DOCKERD_PID" ] && kill "$DOCKERD_PID" 2>/dev/null && wait "$DOCKERD_PID" 2>/dev/null || true
  [ -n "$REG_PID" ] && kill "$REG_PID" 2>/dev/null || true
  if [ -n "$BENCH_WORK" ]; then
    grep -o " $BENCH_WORK[^ ]*" /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
    rm -rf "$BENCH_WORK"
  fi
}

# bench_start NAME: sets WORK to a new /tmp/layerlab-bench-NAME.XXXXXX, removed (with whatever is
# mounted below it) when the script exits.
bench_start() {
  WORK=$(mktemp -d "/tmp/layerlab-bench-$1.XXXXXX")
  BENCH_WORK=$WORK
  trap bench_cleanup EXIT
}

# The layerlab binary to time: $LAYERLAB_BIN, or a release build made now (build output on stderr).
bench_layerlab_bin() {
  if [ -n "${LAYERLAB_BIN:-}" ]; then
    printf '%s\n' "$LAYERLAB_BIN"
    return
  fi
  echo "building layerlab (release)..." >&2
  (cd "$ROOT" && cargo build --release -p layerlab --bin layerlab >&2)
  printf '%s\n' "$ROOT/target/release/layerlab"
}

bench_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# bench_registry DIR: starts Debian's docker-registry on a free loopback port, storing under
# DIR/registry; sets REG_PID and REG_HOST (127.0.0.1:PORT).
bench_registry() {
  local dir=$1 port
  port=$(bench_free_port)
  printf 'version: 0.1\nlog: {level: error}\nstorage:\n  filesystem: {rootdirectory: %s}\n  delete: {enabled: true}\nhttp: {addr: 127.0.0.1:%s}\n' \
    "$dir/registry" "$port" >"$dir/registry.yml"
  docker-registry serve "$dir/registry.yml" >"$dir/registry.log" 2>&1 &
  REG_PID=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.1; done
  REG_HOST=127.0.0.1:$port
}

# bench_dockerd DIR: starts a private dockerd (overlay2, no networking set-up) with its data under
# DIR/docker; sets DOCKERD_PID and D (the docker command for it). Fails if it does not come up.
bench_dockerd() {
  local dir=$1/docker dockerd
  dockerd=$(command -v dockerd) || { echo "missing dockerd: apt-get install -y docker.io" >&2; return 1; }
  mkdir -p "$dir"
  cat >"$dir/daemon.json" <<JSON
{"data-root": "$dir/root", "exec-root": "$dir/exec", "pidfile": "$dir/dockerd.pid",
 "hosts": ["unix://$dir/docker.sock"], "storage-driver": "overlay2",
 "iptables": false, "ip-forward": false, "ip-masq": false, "bridge": "none",
 "exec-opts": ["native.cgroupdriver=cgroupfs"], "log-level": "warn"}
JSON
  "$dockerd" --config-file "$dir/daemon.json" >"$dir/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  D="/usr/bin/docker -H unix://$dir/docker.sock"
  for _ in $(seq 300); do $D info >/dev/null 2>&1 && break; sleep 0.2; done
  $D info >/dev/null 2>&1 || { echo "dockerd did not start:" >&2; tail -20 "$dir/dockerd.log" >&2; return 1; }
}

# bench_podman DIR: podman with private storage under DIR/podman and the rlimits this machine
# allows (see the peers reference); sets P (the podman command) and exports CONTAINERS_CONF.
bench_podman() {
  local dir=$1/podman
  mkdir -p "$dir"
  printf '[containers]\ndefault_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]\n[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\nruntime = "runc"\n' \
    >"$dir/containers.conf"
  export CONTAINERS_CONF=$dir/containers.conf
  P="podman --root $dir/root --runroot $dir/run --storage-driver overlay"
}
