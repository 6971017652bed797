#!/usr/bin/env bash
# One command: set everything up, then run the whole test suite (LibreOffice included).
# Any arguments go to pytest (e.g. -k verify, -m "not slow"; -m quick: the tier without LibreOffice).
set -euo pipefail
cd "$(dirname "$0")/.."
# `-m quick` needs no LibreOffice: set up Python only
case " $* " in *" quick "*) XLBACKPROP_PYTHON_ONLY=1 bash scripts/setup.sh ;; *) bash scripts/setup.sh ;; esac
.venv/bin/python -m pytest "$@"
