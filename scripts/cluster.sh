#!/usr/bin/env bash
# A real single-node Kubernetes cluster on loopback, for the Kubernetes executor's tests.
#
#   scripts/cluster.sh build               compile Kubernetes once per version (cached outside the checkout)
#   scripts/cluster.sh up                  build if needed, start everything, wait for the node, print the kubeconfig
#   scripts/cluster.sh status              what runs (pid, memory) and whether the node is Ready
#   scripts/cluster.sh import-image IMAGE  load a local Docker image into the node (pods use imagePullPolicy: Never)
#   scripts/cluster.sh registry            print the loopback image registry's address (host:port) that the node pulls from
#   scripts/cluster.sh sweep               delete what Sluice daemons left on the cluster (the test suite's start: killed runs leave pods)
#   scripts/cluster.sh down                stop everything `up` started; the build cache and cluster state stay
#   scripts/cluster.sh purge               down, then delete the cluster state (etcd, images, certificates); the build stays
#
# Kubernetes (apiserver, controller-manager, scheduler, kubelet, kubectl) is built from the Go module
# proxy; etcd and the CNI plugins come from Debian packages, extracted into the cache (not installed);
# containerd and runc are Debian packages on the machine. The cluster has its own containerd (own
# socket and root), so Docker's is untouched. An image registry (Debian's docker-registry) on
# 127.0.0.1:$SLUICE_REGISTRY_PORT holds pushed images; the node pulls from it over plain HTTP
# (loopback only). Every listener binds 127.0.0.1. Needs root.
#
# Environment:
#   SLUICE_CLUSTER_CACHE  build cache root   (default /var/cache/sluice/kubernetes; builds go in <root>/<version>)
#   SLUICE_CLUSTER_STATE  cluster state      (default /var/lib/sluice/cluster)
#   SLUICE_KUBERNETES_VERSION                (default v1.34.4: the last minor whose kubelet runs on cgroup v1)
#   SLUICE_REGISTRY_PORT  the registry's loopback port (default 5050)
#   GO                    go binary          (default: go on PATH, else /usr/local/go/bin/go)
set -euo pipefail

KVER=${SLUICE_KUBERNETES_VERSION:-v1.34.4}
CACHE_ROOT=${SLUICE_CLUSTER_CACHE:-/var/cache/sluice/kubernetes}
BUILD=$CACHE_ROOT/$KVER
STATE=${SLUICE_CLUSTER_STATE:-/var/lib/sluice/cluster}
BIN=$BUILD/bin
DEBROOT=$BUILD/root
PKI=$STATE/pki
ETC=$STATE/etc
RUN=$STATE/run
LOG=$STATE/log
VAR=$STATE/var
KUBECONFIG_PATH=$STATE/kubeconfig
NODE=127.0.0.1
API=https://127.0.0.1:6443
PAUSE_IMAGE=sluice.local/pause:3.10
REGISTRY=127.0.0.1:${SLUICE_REGISTRY_PORT:-5050}
COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl)

say() { printf '[cluster] %s\n' "$*"; }
die() { printf '[cluster] error: %s\n' "$*" >&2; exit 1; }
kubectl_() { "$BIN/kubectl" --kubeconfig "$KUBECONFIG_PATH" "$@"; }
ctr_() { ctr -a "$RUN/containerd.sock" -n k8s.io "$@"; }

go_bin() {
  if [ -n "${GO:-}" ]; then echo "$GO"; return; fi
  command -v go 2>/dev/null || { [ -x /usr/local/go/bin/go ] && echo /usr/local/go/bin/go; } || true
}

require_root() {
  [ "$(id -u)" = 0 ] || die "needs root (containerd, kubelet, mounts and cgroups); run it with sudo"
}

require_tools() { # tool... : each must be on PATH
  local missing=() t
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
  [ ${#missing[@]} -eq 0 ] || die "missing ${missing[*]}; on Debian: apt-get install -y $(debian_packages "${missing[@]}")"
}

debian_packages() {
  local t out=()
  for t in "$@"; do
    case $t in
      ctr) out+=(containerd) ;; gcc) out+=(gcc libc6-dev) ;; ip | ss) out+=(iproute2) ;;
      setsid) out+=(util-linux) ;; sha256sum) out+=(coreutils) ;; docker) out+=(docker.io) ;;
      apt-get | dpkg-deb) out+=(apt dpkg) ;; *) out+=("$t") ;;
    esac
  done
  echo "${out[*]}"
}

# ---------------------------------------------------------------- build

build_ready() {
  local c
  for c in "${COMPONENTS[@]}"; do [ -x "$BIN/$c" ] || return 1; done
  [ -f "$BUILD/pause/pause.tar" ] && [ -x "$DEBROOT/usr/bin/etcd" ] && [ -x "$DEBROOT/usr/lib/cni/bridge" ]
}

build() {
  require_root
  if build_ready; then say "build $KVER cached in $BUILD"; return; fi
  require_tools apt-get dpkg-deb gcc tar sha256sum
  local go; go=$(go_bin)
  [ -n "$go" ] || die "no Go toolchain; install Go >= 1.24 (https://go.dev/dl) or set GO=/path/to/go"
  local t0=$SECONDS
  mkdir -p "$BUILD" "$BIN"
  fetch_debian_parts
  build_pause_image
  fetch_kubernetes_source "$go"
  compile_kubernetes "$go"
  say "build $KVER ready in $((SECONDS - t0))s ($(du -sh "$BIN" | cut -f1) of binaries in $BIN)"
}

download_debs() {
  # apt warns when its _apt user cannot write the target dir (root-owned cache): harmless, so not shown
  (cd "$BUILD/debs" && apt-get download etcd-server etcd-client containernetworking-plugins 2>&1 >/dev/null | grep -v unsandboxed >&2 || true)
}

debs_present() { ls "$BUILD"/debs/etcd-server_*.deb "$BUILD"/debs/containernetworking-plugins_*.deb >/dev/null 2>&1; }

fetch_debian_parts() { # etcd and the CNI plugins, extracted into $DEBROOT (not installed)
  if [ -x "$DEBROOT/usr/bin/etcd" ] && [ -x "$DEBROOT/usr/lib/cni/bridge" ]; then return; fi
  say "downloading etcd and CNI plugins (Debian packages)"
  rm -rf "$BUILD/debs" "$DEBROOT"; mkdir -p "$BUILD/debs" "$DEBROOT"
  download_debs
  if ! debs_present; then
    # a fresh machine may have no package lists yet
    say "refreshing apt's package lists"
    apt-get update -qq || true
    download_debs
  fi
  debs_present || die "apt-get download failed; check the apt sources (apt-get update) and try again"
  local deb
  for deb in "$BUILD"/debs/*.deb; do dpkg-deb -x "$deb" "$DEBROOT"; done
}

build_pause_image() { # the pod sandbox image: a static binary that waits for a signal, as a docker-archive tar
  [ -f "$BUILD/pause/pause.tar" ] && return
  say "building the pause image"
  local dir=$BUILD/pause; rm -rf "$dir"; mkdir -p "$dir/layer"
  cat >"$dir/pause.c" <<'EOF'
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>
static void on_stop(int sig) { (void)sig; _exit(0); }
static void on_child(int sig) { (void)sig; while (waitpid(-1, 0, WNOHANG) > 0) {} }
int main(void) {
  struct sigaction stop = {0}, child = {0};
  stop.sa_handler = on_stop;
  sigaction(SIGINT, &stop, 0);
  sigaction(SIGTERM, &stop, 0);
  child.sa_handler = on_child;
  child.sa_flags = SA_NOCLDSTOP;
  sigaction(SIGCHLD, &child, 0);
  for (;;) pause();
}
EOF
  gcc -Os -static -s -o "$dir/layer/pause" "$dir/pause.c"
  pack_docker_archive "$dir"
}

pack_docker_archive() { # dir: dir/layer/pause -> dir/pause.tar (docker save format, one layer)
  local dir=$1 layer_sha config config_sha
  tar -C "$dir/layer" --owner=0 --group=0 --numeric-owner --mtime=@0 -cf "$dir/layer.tar" pause
  layer_sha=$(sha256sum "$dir/layer.tar" | cut -d' ' -f1)
  config='{"architecture":"amd64","os":"linux","config":{"Entrypoint":["/pause"],"User":"65535:65535"},'
  config+="\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:$layer_sha\"]}}"
  printf '%s' "$config" >"$dir/config.json"
  config_sha=$(sha256sum "$dir/config.json" | cut -d' ' -f1)
  mkdir -p "$dir/archive/$layer_sha"
  mv "$dir/layer.tar" "$dir/archive/$layer_sha/layer.tar"
  mv "$dir/config.json" "$dir/archive/$config_sha.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' \
    "$config_sha" "$PAUSE_IMAGE" "$layer_sha" >"$dir/archive/manifest.json"
  tar -C "$dir/archive" --owner=0 --group=0 --numeric-owner -cf "$dir/pause.tar" manifest.json "$config_sha.json" "$layer_sha"
  rm -rf "$dir/archive"
}

fetch_kubernetes_source() { # go: k8s.io/kubernetes from the module proxy into $BUILD/src (fixed path: warm rebuilds reuse the Go cache)
  local go=$1 src=$BUILD/src
  [ -f "$src/.prepared" ] && return
  say "downloading k8s.io/kubernetes@$KVER from the Go module proxy"
  local dir
  dir=$(cd /tmp && GOFLAGS=-mod=mod "$go" mod download -json "k8s.io/kubernetes@$KVER" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
  [ -n "$dir" ] || die "go mod download k8s.io/kubernetes@$KVER failed; check GOPROXY and network"
  rm -rf "$src"; cp -r "$dir" "$src"; chmod -R u+w "$src"
  rm -rf "$src/vendor" "$src/go.work" "$src/go.work.sum"
  # go.mod points k8s.io/* at ./staging; point each at its published module (v0.<minor>.<patch>) instead
  local staged="v0.${KVER#v1.}" args=() mod
  for mod in $(sed -n '/^replace (/,/^)/p' "$src/go.mod" | awk '/=>/ {print $1}'); do
    args+=("-dropreplace=$mod" "-replace=$mod=$mod@$staged")
  done
  (cd "$src" && "$go" mod edit "${args[@]}")
  touch "$src/.prepared"
}

compile_kubernetes() { # go
  local go=$1 minor=${KVER#v1.} ldflags="-s -w" pkg
  minor=${minor%%.*}
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $pkg.gitVersion=$KVER -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
    ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
  done
  local c t
  for c in "${COMPONENTS[@]}"; do
    [ -x "$BIN/$c" ] && continue
    say "compiling $c"
    t=$SECONDS
    (cd "$BUILD/src" && GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0 GOCACHE="$CACHE_ROOT/go-build" \
      nice -n 10 "$go" build -ldflags "$ldflags" -o "$BIN/$c.tmp" "./cmd/$c") ||
      die "compiling $c failed (output above); fix and rerun: finished components are kept"
    mv "$BIN/$c.tmp" "$BIN/$c"
    say "compiled $c in $((SECONDS - t))s"
  done
}

# ---------------------------------------------------------------- certificates and configuration

issue_cert() { # name common-name organisation subject-alt-names extended-key-usage
  local name=$1 cn=$2 org=$3 san=$4 eku=$5
  openssl req -newkey rsa:2048 -nodes -keyout "$PKI/$name.key" -out "$PKI/$name.csr" -subj "/CN=$cn${org:+/O=$org}" 2>/dev/null
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=$eku"
    if [ -n "$san" ]; then echo "subjectAltName=$san"; fi
  } >"$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -out "$PKI/$name.crt" -days 3650 -extfile "$PKI/$name.ext" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

write_certificates() { # once per cluster state: a CA, serving and client certificates, the service-account key
  [ -f "$PKI/.complete" ] && return
  say "issuing certificates"
  rm -rf "$PKI"; mkdir -p "$PKI"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PKI/ca.key" -out "$PKI/ca.crt" -days 3650 -subj "/CN=sluice-cluster-ca" 2>/dev/null
  openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
  openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  local svc=kubernetes.default.svc
  issue_cert apiserver kube-apiserver "" "DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:$svc,DNS:$svc.cluster.local,IP:127.0.0.1,IP:10.96.0.1" serverAuth
  issue_cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters "" clientAuth
  issue_cert admin sluice-admin system:masters "" clientAuth
  issue_cert controller-manager system:kube-controller-manager "" "" clientAuth
  issue_cert scheduler system:kube-scheduler "" "" clientAuth
  issue_cert kubelet "system:node:$NODE" system:nodes "" clientAuth
  chmod 600 "$PKI"/*.key
  touch "$PKI/.complete"
}

write_kubeconfig() { # user file
  cat >"$2" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: sluice, cluster: {certificate-authority: $PKI/ca.crt, server: "$API"}}]
users: [{name: $1, user: {client-certificate: $PKI/$1.crt, client-key: $PKI/$1.key}}]
contexts: [{name: sluice, context: {cluster: sluice, user: $1, namespace: default}}]
current-context: sluice
EOF
}

write_containerd_config() {
  cat >"$ETC/containerd.toml" <<EOF
version = 2
root = "$VAR/containerd/root"
state = "$VAR/containerd/state"
[grpc]
  address = "$RUN/containerd.sock"
[ttrpc]
  address = "$RUN/containerd-ttrpc.sock"
[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "$VAR/containerd/opt"
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "$PAUSE_IMAGE"
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    netns_mounts_under_state_dir = true
    # negative oom_score_adj writes fail with EIO on these machines (every pod would fail with
    # "can't get final child's PID from pipe: EOF"): never go below containerd's own score
    restrict_oom_score_adj = true
    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = "$ETC/certs.d"
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "$DEBROOT/usr/lib/cni"
      conf_dir = "$ETC/cni"
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "overlayfs"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          SystemdCgroup = false
          Root = "$RUN/runc"
EOF
  # the loopback registry speaks plain HTTP: tell containerd so (hosts.toml of that host:port)
  mkdir -p "$ETC/certs.d/$REGISTRY"
  cat >"$ETC/certs.d/$REGISTRY/hosts.toml" <<EOF
server = "http://$REGISTRY"
[host."http://$REGISTRY"]
  capabilities = ["pull", "resolve"]
EOF
  # pods get an address on a bridge of their own, with no gateway and no masquerade: no route off the node
  cat >"$ETC/cni/10-sluice-bridge.conflist" <<EOF
{"cniVersion": "0.4.0", "name": "sluice-pods", "plugins": [
  {"type": "bridge", "bridge": "sluicek8s0", "isGateway": false, "ipMasq": false,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.244.0.0/24"}]], "dataDir": "$VAR/cni-ipam"}}]}
EOF
}

write_registry_config() { # Debian's docker-registry: loopback only, no auth, deletes allowed, storage in the state dir
  cat >"$ETC/registry.yml" <<EOF
version: 0.1
log: {level: warn, fields: {service: registry}}
storage: {filesystem: {rootdirectory: $VAR/registry}, delete: {enabled: true}}
http: {addr: $REGISTRY}
EOF
}

write_kubelet_config() { # cgroup v1 without systemd: cgroupfs driver, and 1.34's opt-in to v1
  echo "nameserver 127.0.0.1" >"$ETC/resolv.conf"
  cat >"$ETC/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication: {anonymous: {enabled: false}, webhook: {enabled: true}, x509: {clientCAFile: $PKI/ca.crt}}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
oomScoreAdj: 0
containerRuntimeEndpoint: unix://$RUN/containerd.sock
podLogsDir: $VAR/log/pods
clusterDomain: cluster.local
clusterDNS: ["127.0.0.1"]
resolvConf: $ETC/resolv.conf
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
makeIPTablesUtilChains: false
syncFrequency: 10s
nodeStatusUpdateFrequency: 10s
EOF
}

write_config() {
  mkdir -p "$RUN" "$LOG" "$VAR/etcd" "$VAR/containerd" "$VAR/kubelet" "$VAR/log/pods" "$ETC/cni" "$ETC/kubeconfig"
  write_certificates
  write_containerd_config
  write_registry_config
  write_kubelet_config
  local user
  for user in controller-manager scheduler kubelet; do write_kubeconfig "$user" "$ETC/kubeconfig/$user.conf"; done
  write_kubeconfig admin "$KUBECONFIG_PATH"
}

# ---------------------------------------------------------------- processes

PROCESSES=(registry containerd etcd kube-apiserver kube-controller-manager kube-scheduler kubelet)

running() { [ -f "$RUN/$1.pid" ] && kill -0 "$(cat "$RUN/$1.pid")" 2>/dev/null; }

all_running() {
  local name
  for name in "${PROCESSES[@]}"; do running "$name" || return 1; done
}

start_process() { # name command...: runs detached, pid in $RUN/name.pid, output in $LOG/name.log
  local name=$1; shift
  if running "$name"; then say "$name already running (pid $(cat "$RUN/$name.pid"))"; return; fi
  setsid "$@" >>"$LOG/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
  say "started $name (pid $!, log $LOG/$name.log)"
}

stop_processes() { # name...: SIGTERM to all at once, SIGKILL to any still running after 10 s
  local name pid i alive t0=$SECONDS pids=()
  for name in "$@"; do
    [ -f "$RUN/$name.pid" ] || continue
    pid=$(cat "$RUN/$name.pid")
    if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" && pids+=("$pid"); fi
  done
  for i in $(seq 1 40); do
    alive=false
    for pid in "${pids[@]}"; do if kill -0 "$pid" 2>/dev/null; then alive=true; fi; done
    $alive || break
    sleep 0.25
  done
  for pid in "${pids[@]}"; do if kill -0 "$pid" 2>/dev/null; then kill -KILL "$pid"; fi; done
  for name in "$@"; do rm -f "$RUN/$name.pid"; done
  [ ${#pids[@]} -eq 0 ] || say "stopped $* ($((SECONDS - t0))s)"
}

wait_until() { # description seconds log command...: polls every 0.5 s
  local what=$1 limit=$2 log=$3 t0=$SECONDS; shift 3
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS - t0 > limit)); then
      tail -n 15 "$LOG/$log.log" >&2 2>/dev/null || true
      die "$what not ready after ${limit}s; see $LOG/$log.log (last lines above), then run scripts/cluster.sh down && scripts/cluster.sh up"
    fi
    sleep 0.5
  done
  say "$what ready after $((SECONDS - t0))s"
}

node_ready() { # the kubelet answers (through the apiserver) and reports Ready: a Ready status alone may be a stale one from before a restart
  curl -sf --max-time 2 http://127.0.0.1:10248/healthz >/dev/null 2>&1 &&
  [ "$(kubectl_ get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

check_ports_free() { # refuse to start over another program's listeners
  local port owner
  for port in 6443 2379 2380 10250 "${REGISTRY##*:}"; do
    owner=$(ss -ltnpH "sport = :$port" 2>/dev/null | head -1)
    [ -z "$owner" ] || die "port $port is taken ($owner); stop that program, or run scripts/cluster.sh down if it is an old cluster"
  done
}

# ---------------------------------------------------------------- up / down / status

start_runtime() {
  start_process registry docker-registry serve "$ETC/registry.yml"
  wait_until "registry $REGISTRY" 30 registry curl -sf --max-time 2 "http://$REGISTRY/v2/"
  start_process containerd containerd --config "$ETC/containerd.toml"
  wait_until containerd 30 containerd ctr -a "$RUN/containerd.sock" version
  ctr_ images ls -q | grep -qx "$PAUSE_IMAGE" || ctr_ images import "$BUILD/pause/pause.tar" >/dev/null
  start_process etcd "$DEBROOT/usr/bin/etcd" --name sluice --data-dir "$VAR/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster sluice=http://127.0.0.1:2380 --listen-metrics-urls http://127.0.0.1:2381 --unsafe-no-fsync
  wait_until etcd 30 etcd "$DEBROOT/usr/bin/etcdctl" --endpoints http://127.0.0.1:2379 endpoint health
}

start_control_plane() {
  start_process kube-apiserver "$BIN/kube-apiserver" --etcd-servers=http://127.0.0.1:2379 \
    --bind-address=127.0.0.1 --secure-port=6443 --advertise-address=127.0.0.1 --endpoint-reconciler-type=none \
    --client-ca-file="$PKI/ca.crt" --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
    --kubelet-preferred-address-types=InternalIP,Hostname \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range=10.96.0.0/24 --authorization-mode=Node,RBAC --profiling=false
  wait_until kube-apiserver 120 kube-apiserver kubectl_ get --raw /readyz
  local cm=$ETC/kubeconfig/controller-manager.conf sched=$ETC/kubeconfig/scheduler.conf
  start_process kube-controller-manager "$BIN/kube-controller-manager" --kubeconfig="$cm" \
    --authentication-kubeconfig="$cm" --authorization-kubeconfig="$cm" --bind-address=127.0.0.1 \
    --leader-elect=false --use-service-account-credentials=true --profiling=false \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
    --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key"
  start_process kube-scheduler "$BIN/kube-scheduler" --kubeconfig="$sched" \
    --authentication-kubeconfig="$sched" --authorization-kubeconfig="$sched" \
    --bind-address=127.0.0.1 --leader-elect=false --profiling=false
}

start_node() { # the node's InternalIP is 127.0.0.1 through its name (kubelet refuses a loopback --node-ip)
  start_process kubelet "$BIN/kubelet" --config="$ETC/kubelet.yaml" --kubeconfig="$ETC/kubeconfig/kubelet.conf" \
    --hostname-override="$NODE" --root-dir="$VAR/kubelet" --cert-dir="$VAR/kubelet/pki"
  wait_until "node $NODE" 180 kubelet node_ready
  wait_until "default service account" 60 kube-controller-manager kubectl_ -n default get serviceaccount default
}

up() {
  require_root
  require_tools containerd runc ctr openssl ss setsid curl docker-registry
  local t0=$SECONDS
  if all_running && node_ready; then
    say "already up"
  else
    if ! running kube-apiserver; then check_ports_free; fi
    write_config
    start_runtime
    start_control_plane
    start_node
    say "up in $((SECONDS - t0))s"
  fi
  say "kubeconfig: $KUBECONFIG_PATH   (export KUBECONFIG=$KUBECONFIG_PATH; kubectl: $BIN/kubectl)"
  echo "$KUBECONFIG_PATH"
}

remove_pod_containers() { # containerd keeps pods running after the kubelet stops: end them
  running containerd || return 0
  local task container
  for task in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks kill -s KILL "$task" >/dev/null 2>&1 || true; done
  sleep 1
  for task in $(ctr_ tasks ls -q 2>/dev/null); do ctr_ tasks delete -f "$task" >/dev/null 2>&1 || true; done
  for container in $(ctr_ containers ls -q 2>/dev/null); do ctr_ containers rm "$container" >/dev/null 2>&1 || true; done
}

clean_host() { # mounts, pod cgroups, the bridge and kubelet's log links that the cluster left behind
  local mount hierarchy link
  for mount in $(awk -v state="$STATE/" 'index($2, state) == 1 {print $2}' /proc/mounts | sort -r); do umount -l "$mount" 2>/dev/null || true; done
  for hierarchy in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
    if [ -d "$hierarchy" ]; then find "$hierarchy" -depth -type d -exec rmdir {} \; 2>/dev/null || true; fi
  done
  ip link del sluicek8s0 2>/dev/null || true
  # kubelet always links pod logs from /var/log/containers: remove only the links into this cluster
  for link in /var/log/containers/*.log; do
    if [ -L "$link" ]; then case $(readlink "$link") in "$STATE"/*) rm -f "$link" ;; esac; fi
  done
  rmdir /var/log/containers 2>/dev/null || true
}

down() {
  require_root
  local t0=$SECONDS
  stop_processes kube-scheduler kube-controller-manager kubelet
  remove_pod_containers
  stop_processes kube-apiserver
  stop_processes etcd containerd registry
  clean_host
  say "down in $((SECONDS - t0))s (build cache kept in $BUILD, state in $STATE)"
}

purge() {
  rm -rf "$STATE"
  say "removed the cluster state $STATE"
}

status() {
  local name pid any=false
  for name in "${PROCESSES[@]}"; do
    if running "$name"; then
      pid=$(cat "$RUN/$name.pid"); any=true
      printf '%-24s running  pid %-7s rss %s MB\n' "$name" "$pid" "$(($(awk '/VmRSS/ {print $2}' "/proc/$pid/status") / 1024))"
    else
      printf '%-24s stopped\n' "$name"
    fi
  done
  if build_ready; then echo "build      $KVER in $BUILD"; else echo "build      $KVER not built (scripts/cluster.sh build)"; fi
  if $any && node_ready; then echo "node       $NODE Ready"; echo "kubeconfig $KUBECONFIG_PATH"; else echo "node       not ready"; fi
  echo "registry   $REGISTRY"
}

sweep() { # every object labelled sluice.managed=true, in every namespace; pods' exit-status finalizer removed first
  require_root
  running kube-apiserver || die "the cluster is not up; run scripts/cluster.sh up first"
  local kinds=jobs,pods,services,secrets,persistentvolumeclaims selector=sluice.managed=true pods count
  pods=$(kubectl_ get pods -A -l "$selector" -o jsonpath='{range .items[*]}{.metadata.namespace}{" "}{.metadata.name}{"\n"}{end}')
  while read -r namespace name; do
    [ -n "$name" ] && kubectl_ patch pod "$name" -n "$namespace" --type=merge -p '{"metadata":{"finalizers":null}}' >/dev/null
  done <<<"$pods"
  count=$(kubectl_ get "$kinds" -A -l "$selector" -o name | grep -c . || true)
  kubectl_ delete "$kinds" -A -l "$selector" --wait=false --ignore-not-found >/dev/null
  say "swept $count object(s) labelled $selector"
}

import_image() { # image: docker save | ctr import into the cluster's containerd
  require_root
  require_tools docker
  running containerd || die "the cluster is not up; run scripts/cluster.sh up first"
  docker image inspect "$1" >/dev/null 2>&1 || die "no local Docker image $1; build it first (docker images lists what there is)"
  local t0=$SECONDS
  docker save "$1" | ctr_ images import - >/dev/null ||
    die "importing $1 failed; see the message above"
  say "imported $1 in $((SECONDS - t0))s (use imagePullPolicy: Never)"
}

# ---------------------------------------------------------------- main

usage() {
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
}

main() {
  local cmd=${1:-}
  case $cmd in
    build) build ;;
    up) build; up ;;
    status) status ;;
    registry) echo "$REGISTRY" ;;
    sweep) sweep ;;
    down) down ;;
    purge) down; purge ;;
    import-image) [ -n "${2:-}" ] || die "usage: scripts/cluster.sh import-image IMAGE"; import_image "$2" ;;
    -h | --help | help) usage ;;
    "") usage >&2; exit 2 ;;
    *) printf '[cluster] error: unknown command %s\n\n' "$cmd" >&2; usage >&2; exit 2 ;;
  esac
}

main "$@"
