#!/usr/bin/env bash
# Installs the peer schedulers the side-by-side bench (bench/peers.ts) measures Sluice against,
# each pinned, into its own virtual environment outside the checkout:
#   ${SLUICE_PEERS_HOME:-$HOME/.cache/sluice/peers}/<peer>/venv
# Each venv also gets the fruitshop fixture's dlt (bench/peers.ts --variant fruitshop runs the
# fixture's pipeline inside every peer's ingest task), with the same constraints as the fixture's
# pyproject.toml (fixtures/workspaces/fruitshop_simple_workspace).
# Idempotent: a venv whose pinned versions are already installed is left as it is.
# Usage: bench/peers/setup.sh [airflow|dagster|prefect ...]   (no argument: all three)
set -euo pipefail

PEERS_HOME="${SLUICE_PEERS_HOME:-$HOME/.cache/sluice/peers}"
PYTHON="${SLUICE_PEERS_PYTHON:-python3.11}"

# The pins: what this bench was measured with (docs/performance.md). Change them here only.
declare -A PIN=(
  [airflow]="apache-airflow==3.3.2"
  [dagster]="dagster==1.13.29"
  [prefect]="prefect==3.9.1"
)
# dlt as the fruitshop fixture pins it, with its DuckDB destination; duckdb <2 and sqlglot <29 for
# the reasons the fixture's pyproject.toml gives (dlt 1.26.0 uses APIs those majors removed).
DLT_PIN="dlt==1.26.0"
DLT_SPECS=("dlt[duckdb]==1.26.0" "duckdb>=1.4,<2" "sqlglot>=28,<29")
declare -A MODULE=([airflow]="airflow" [dagster]="dagster" [prefect]="prefect")

say() { printf '[peers setup] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

command -v "$PYTHON" >/dev/null || die "$PYTHON not found: install Python 3.11 or set SLUICE_PEERS_PYTHON to one"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' \
  || die "$PYTHON is not Python 3.11 (the versions pinned here were checked on 3.11); set SLUICE_PEERS_PYTHON"

installed_version() { # venv module -> version or empty
  "$1/bin/python" -c "import importlib.metadata as m; print(m.version('$2'))" 2>/dev/null || true
}

install_peer() {
  local peer="$1" spec="${PIN[$1]}" dir="$PEERS_HOME/$1"
  local dist="${spec%%==*}" want="${spec##*==}" venv="$dir/venv"
  mkdir -p "$dir"
  if [[ -x "$venv/bin/python" && "$(installed_version "$venv" "$dist")" == "$want" \
        && "$(installed_version "$venv" dlt)" == "${DLT_PIN##*==}" ]]; then
    say "$peer: $spec and $DLT_PIN already installed in $venv"
    return 0
  fi
  if [[ -x "$venv/bin/python" ]]; then say "$peer: updating $venv"; else say "$peer: creating $venv"; fi
  # the peer's pin and dlt's in one resolution, so adding dlt never moves the peer's version
  if command -v uv >/dev/null; then
    uv venv --quiet --allow-existing --python "$PYTHON" "$venv" || die "$peer: uv venv failed"
    say "$peer: installing $spec ${DLT_SPECS[*]} with uv (a minute or more on first run)"
    VIRTUAL_ENV="$venv" uv pip install --quiet --python "$venv/bin/python" "$spec" "${DLT_SPECS[@]}" \
      || die "$peer: 'uv pip install $spec ${DLT_SPECS[*]}' failed: check that PyPI is reachable and the pins exist for Python 3.11"
  else
    [[ -x "$venv/bin/python" ]] || "$PYTHON" -m venv "$venv" || die "$peer: python -m venv failed"
    say "$peer: installing $spec ${DLT_SPECS[*]} with pip (several minutes on first run)"
    "$venv/bin/pip" install --quiet "$spec" "${DLT_SPECS[@]}" \
      || die "$peer: 'pip install $spec ${DLT_SPECS[*]}' failed: check that PyPI is reachable and the pins exist for Python 3.11"
  fi
  "$venv/bin/python" -c "import ${MODULE[$peer]}, dlt, duckdb" || die "$peer: installed but 'import ${MODULE[$peer]}, dlt, duckdb' fails"
  say "$peer: ok, $dist $(installed_version "$venv" "$dist"), dlt $(installed_version "$venv" dlt)"
}

peers=("$@")
[[ ${#peers[@]} -eq 0 ]] && peers=(airflow dagster prefect)
for p in "${peers[@]}"; do
  [[ -n "${PIN[$p]:-}" ]] || die "unknown peer '$p' (known: airflow dagster prefect)"
  install_peer "$p"
done
say "done: peers in $PEERS_HOME"
