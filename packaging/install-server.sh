#!/bin/sh
# Install the server role from a built wheel into a fresh virtual environment:
#   packaging/install-server.sh VENV_DIR path/to/coachhub-X.Y.Z-py3-none-any.whl
# The server image runs exactly this, and tests/packaging/test_server_wheel.py does too.
set -eu
venv="$1"
wheel="$2"
python3 -m venv "$venv"
"$venv/bin/pip" install --disable-pip-version-check --no-input "${wheel}[server]"
