#!/usr/bin/env bash
# Builds the Python module `veil` against build/libveil.so into a venv
# (build/python-venv, with Debian's numpy, OpenCV and pytest) as a user would
# (pip install --no-build-isolation ./python), and runs its tests.
set -euo pipefail
cd "$(dirname "$0")/.."
export VEIL_MODEL_DIR="${VEIL_MODEL_DIR:-$PWD/../shared/models}"
venv="$PWD/build/python-venv"
[ -x "$venv/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$venv"
rm -rf python/build python/veil.egg-info
"$venv/bin/pip" install --quiet --no-build-isolation --no-deps --force-reinstall ./python
# From outside the source tree, so that the installed package is the one tested.
cd build && VEIL_CLI="$PWD/veil" "$venv/bin/python" -m pytest -q "$OLDPWD/python/tests" -p no:cacheprovider
