#!/usr/bin/env bash
# Quickstart, command 1: build (once, cached) a small real example image from real Debian
# packages, wheels and npm tarballs, then show what hullscan sees in it and scan it against
# real advisory records kept in examples/advisories (embedded SQLite store in the user cache).
set -euo pipefail
cd "$(dirname "$0")/.."
HULLSCAN_BOOTSTRAP=demo bash scripts/bootstrap.sh
example="${HULLSCAN_EXAMPLE_DIR:-$HOME/.cache/hullscan-example}"
.venv/bin/python -m hullscan.build.example "$example"
image="oci:$example/layout:latest"
echo "==> hullscan inspect $image"
.venv/bin/hullscan inspect "$image"
echo "==> hullscan sbom $image"
.venv/bin/hullscan sbom "$image"
echo "==> hullscan db import examples/advisories   (real OSV records for the example's packages)"
.venv/bin/hullscan db import examples/advisories
echo "==> hullscan scan $image"
.venv/bin/hullscan scan "$image"
