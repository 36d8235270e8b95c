#!/usr/bin/env bash
# Sets everything up (idempotent), then runs the main job: the Sluice daemon deploying the
# bundled usgs earthquakes workspace (the tutorial's chapter 4) through a real `git push`.
# Offline: the workspace reads a fake USGS API that this script starts on 127.0.0.1.
# Stop with Ctrl-C; state stays in $SLUICE_HOME (default ~/.sluice-example).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

bash scripts/setup.sh

export SLUICE_HOME="${SLUICE_HOME:-${HOME}/.sluice-example}"
readonly FAKE_PORT="${SLUICE_EXAMPLE_SOURCES_PORT:-8711}"
readonly WORKSPACE="fixtures/workspaces/usgs_earthquakes_workspace"
sluice() { "${root}/bin/sluice.js" "$@"; }
step() { printf '==> %s\n' "$*"; }

mkdir -p "${SLUICE_HOME}"
# Runs reach the fake API on loopback: host networking, and the API's address as dlt config.
cat >"${SLUICE_HOME}/sluice.yaml" <<YAML
api: { port: 0 }
proxy: { port: 0 }
repos: { pollInterval: 2s }
runs:
  network: host
  env: { SOURCES__USGS__BASE_URL: "http://127.0.0.1:${FAKE_PORT}" }
YAML

pids=()
cleanup() { for pid in "${pids[@]}"; do kill "${pid}" 2>/dev/null || true; done; }
trap cleanup EXIT

step "fake USGS API on 127.0.0.1:${FAKE_PORT}"
npx tsx fixtures/fake-sources/main.ts --port "${FAKE_PORT}" &
pids+=("$!")

step "sluice up (home: ${SLUICE_HOME})"
rm -f "${SLUICE_HOME}/daemon.json"
sluice up &
daemon_pid="$!"
pids+=("${daemon_pid}")
for _ in $(seq 1 120); do [[ -f "${SLUICE_HOME}/daemon.json" ]] && break; sleep 0.5; done
[[ -f "${SLUICE_HOME}/daemon.json" ]] || { echo "the daemon did not start; see the output above" >&2; exit 1; }

step "hosting a repo for the workspace and pushing it"
if ! sluice repo list --output json | grep -q '"name": *"usgs"'; then
  sluice repo add usgs --push
fi
remote="${SLUICE_HOME}/repos/usgs.git"
work="$(mktemp -d -t sluice-example-XXXXXX)"
cp -r "${WORKSPACE}/." "${work}/"
rm -rf "${work}/_local" "${work}/.dlt/.var"
git -C "${work}" init -q -b main
git -C "${work}" add -A
git -C "${work}" -c user.name="Sluice example" -c user.email="example@sluice.invalid" commit -qm "usgs workspace"
git -C "${work}" push -q --force "${remote}" main

step "waiting for the deployment (the first one builds the workspace environment)"
for _ in $(seq 1 600); do
  sluice deployments usgs --output json 2>/dev/null | grep -q '"status": *"applied"' && break
  sleep 1
done
sluice deployments usgs

step "trigger tag:backfill: the refresh cascade runs backfill_usgs, then usgs_daily"
sluice trigger tag:backfill
sluice logs backfill_usgs -f || true
# usgs_daily follows on backfill_usgs's success, with a refresh window from interval.start
for _ in $(seq 1 60); do
  sluice runs usgs_daily --output json 2>/dev/null | grep -q '"runId"' && break
  sleep 1
done
sluice logs usgs_daily -f || true
sluice runs

step "the daemon keeps running the schedule (usgs_daily every 3 min, transforms every 5 min)"
echo "    try: SLUICE_HOME=${SLUICE_HOME} ./bin/sluice.js info | job list | runs | logs transform_earthquakes -f"
wait "${daemon_pid}"
