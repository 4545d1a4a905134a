#!/usr/bin/env bash
# Quickstart, command 2: install what the tests need, then run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
HULLSCAN_BOOTSTRAP=test bash scripts/bootstrap.sh
export PYTHONDONTWRITEBYTECODE=1
exec .venv/bin/python -m pytest -n "${HULLSCAN_TEST_WORKERS:-2}" -q "$@"
