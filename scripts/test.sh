#!/usr/bin/env bash
# One command: set everything up, then run the whole test suite (LibreOffice included).
# Any arguments go to pytest (e.g. -k verify, -m "not slow").
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m pytest "$@"
