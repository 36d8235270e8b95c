#!/usr/bin/env bash
# Idempotent set-up of a fresh Debian machine, run as root (CI runs it on a clean clone):
# npm packages, uv, the Docker engine and debootstrap, a running dockerd, and Sluice's base
# image. Every step checks first and does nothing when its goal is already met.
set -euo pipefail
cd "$(dirname "$0")/.."

readonly UV_VERSION="0.9.30"
readonly SLUICE_HOME="${SLUICE_HOME:-${HOME}/.sluice}"
readonly DOCKERD_TIMEOUT_S="${SLUICE_DOCKERD_TIMEOUT:-60}"

step() { printf '==> %s\n' "$*"; }
die() {
  printf 'setup: %s\n' "$*" >&2
  exit 1
}

ensure_root() {
  [[ "$(id -u)" -eq 0 ]] || die "run as root: it installs packages, starts dockerd and runs debootstrap"
}

# node_modules is current when it was installed from this exact package-lock.json (our stamp
# holds the lock's hash) or, without a stamp, when `npm ls` finds the installed tree complete.
ensure_node_modules() {
  local stamp="node_modules/.sluice-lock.sha256" lock_hash=""
  [[ -f "package-lock.json" ]] && lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
  if [[ -d "node_modules" ]]; then
    if [[ -f "${stamp}" && "$(cat "${stamp}")" == "${lock_hash}" ]]; then
      step "npm packages up to date"
      return
    fi
    if [[ ! -f "${stamp}" ]] && npm ls --all >/dev/null 2>&1; then
      echo "${lock_hash}" >"${stamp}"
      step "npm packages up to date"
      return
    fi
  fi
  if [[ -n "${lock_hash}" ]]; then
    step "npm ci"
    npm ci --no-audit --no-fund
  else
    step "npm install"
    npm install --no-audit --no-fund
  fi
  [[ -f "package-lock.json" ]] && sha256sum package-lock.json | cut -d' ' -f1 >"${stamp}"
  return 0
}

uv_is_wanted_version() {
  local version
  version="$(uv --version 2>/dev/null || true)"
  [[ "${version}" == "uv ${UV_VERSION}" || "${version}" == "uv ${UV_VERSION} "* ]]
}

ensure_uv() {
  if uv_is_wanted_version; then
    step "uv ${UV_VERSION} present"
    return
  fi
  step "pip install uv==${UV_VERSION}"
  if ! python3 -m pip install --quiet "uv==${UV_VERSION}"; then
    # A distribution python refuses global installs (PEP 668): use a venv of our own instead.
    local tools="${SLUICE_HOME}/tools/uv"
    python3 -m venv "${tools}"
    "${tools}/bin/pip" install --quiet "uv==${UV_VERSION}"
    ln -sf "${tools}/bin/uv" /usr/local/bin/uv
  fi
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
  hash -r
  uv_is_wanted_version || die "uv ${UV_VERSION} was installed but \`uv --version\` says: $(uv --version 2>&1 || true)"
}

ensure_apt_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=("docker.io")
  command -v debootstrap >/dev/null 2>&1 || missing+=("debootstrap")
  # the dashboard's terminal test (test/dashboard-tmux.test.ts) drives it in tmux
  command -v tmux >/dev/null 2>&1 || missing+=("tmux")
  # the Kubernetes tests' cluster (scripts/cluster.sh): its own containerd, a static pause binary, certificates
  command -v ctr >/dev/null 2>&1 || missing+=("containerd")
  command -v gcc >/dev/null 2>&1 || missing+=("gcc" "libc6-dev")
  command -v openssl >/dev/null 2>&1 || missing+=("openssl")
  command -v curl >/dev/null 2>&1 || missing+=("curl")
  command -v ss >/dev/null 2>&1 || missing+=("iproute2")
  # the cluster's image registry on loopback (executor images pushed and pulled by digest)
  command -v docker-registry >/dev/null 2>&1 || missing+=("docker-registry")
  if [[ "${#missing[@]}" -eq 0 ]]; then
    step "docker.io, debootstrap, tmux and the test cluster's tools present"
    return
  fi
  step "apt-get install ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
}

ensure_dockerd() {
  if docker info >/dev/null 2>&1; then
    step "dockerd answers"
    return
  fi
  mkdir -p "${SLUICE_HOME}"
  local log="${SLUICE_HOME}/dockerd.log"
  step "starting dockerd in the background (log: ${log})"
  setsid nohup dockerd >>"${log}" 2>&1 </dev/null &
  echo "$!" >"${SLUICE_HOME}/dockerd.pid"
  local waited=0
  until docker info >/dev/null 2>&1; do
    if [[ "${waited}" -ge "${DOCKERD_TIMEOUT_S}" ]]; then
      die "dockerd did not answer within ${DOCKERD_TIMEOUT_S}s; see ${log} (raise SLUICE_DOCKERD_TIMEOUT to wait longer)"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  step "dockerd answers after ${waited}s"
}

ensure_base_image() {
  step "base image (built once per recipe, then reused)"
  ./bin/sluice.js base-image
}

main() {
  local started="${SECONDS}"
  ensure_root
  ensure_node_modules
  ensure_uv
  ensure_apt_packages
  ensure_dockerd
  ensure_base_image
  step "set-up done in $((SECONDS - started))s"
}

main "$@"
