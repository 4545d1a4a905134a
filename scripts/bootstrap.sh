#!/usr/bin/env bash
# Install what hullscan and its tests need on a Debian machine: system tools (only those
# missing) and a virtualenv with the package and its test dependencies. Safe to re-run.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
want() { # want COMMAND DEBIAN-PACKAGE
  command -v "$1" >/dev/null 2>&1 || need_apt+=("$2")
}
want python3 python3
python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
want gcc gcc
want dpkg-deb dpkg
want apt-get apt
want debootstrap debootstrap
want skopeo skopeo
want umoci umoci
want npm npm
if [ "${HULLSCAN_BOOTSTRAP:-demo}" = "test" ]; then
  want docker-registry docker-registry
  want htpasswd apache2-utils
  want go golang-go
  want rpm rpm
  want rpmbuild rpm
  want objcopy binutils
  want pg_ctlcluster postgresql
fi

if [ ${#need_apt[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "==> apt-get install ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  python3 -m venv .venv
fi
stamp=.venv/.hullscan-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "==> pip install -e .[test,postgres]"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e '.[test,postgres]'
  touch "$stamp"
fi
# Compile hullscan's bytecode as pip does when it installs a wheel: with PYTHONDONTWRITEBYTECODE
# set (as on these machines) every command would otherwise compile its modules again (~40 ms).
.venv/bin/python -m compileall -q src/hullscan >/dev/null
