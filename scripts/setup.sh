#!/usr/bin/env bash
# Set up everything xlbackprop needs on a Debian machine with Python 3.11+:
# LibreOffice and Gnumeric (recalculation), poppler-utils (chart pictures), chromium (the HTML
# report's test) and a virtualenv in .venv
# holding xlbackprop and its test tools. Safe to run again: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=()
if [ -z "${XLBACKPROP_PYTHON_ONLY:-}" ]; then  # the quick test tier (-m quick) needs Python only
  command -v soffice >/dev/null 2>&1 || packages+=(libreoffice-calc-nogui)
  command -v ssconvert >/dev/null 2>&1 || packages+=(gnumeric)
  command -v pdftoppm >/dev/null 2>&1 || packages+=(poppler-utils)
  command -v chromium >/dev/null 2>&1 || packages+=(chromium)
  command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)  # ExcelJS, one more reader of our files
fi
python3 -c "import ensurepip, venv" >/dev/null 2>&1 || packages+=(python3-venv)
if [ ${#packages[@]} -gt 0 ]; then
  echo "setup: installing ${packages[*]} with apt-get" >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${packages[@]}" >/dev/null
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".[test]"
# ExcelJS, one more reader the tests load our files with, where node is on the machine
if [ -z "${XLBACKPROP_PYTHON_ONLY:-}" ] && command -v npm >/dev/null 2>&1 && [ ! -d .node/node_modules/exceljs ]; then
  npm install --silent --no-save --no-package-lock --prefix .node exceljs@4 >/dev/null
fi
