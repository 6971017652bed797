#!/usr/bin/env bash
# One command: set everything up, then build the default workbook into output/backprop.xlsx.
# Any arguments go to `xlbackprop build` (e.g. --preset mazur --iterations 1000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/xlbackprop build "$@"
