#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder's image (Ubuntu).
# Put beside it, in the autograder zip: a wheel of xlbackprop (`pip wheel --no-deps -w . /path/to/xlbackprop`)
# and, if you like, rubric.toml (your points and rates).
set -euo pipefail
apt-get install -y --no-install-recommends python3 python3-pip python3-venv
# LibreOffice recalculates .xls and .ods submissions, and .xlsx files saved without their values
apt-get install -y --no-install-recommends libreoffice-calc-nogui || echo "no LibreOffice: .xlsx with stored values only"
python3 -m venv /opt/xlbackprop
/opt/xlbackprop/bin/pip install --upgrade pip
/opt/xlbackprop/bin/pip install /autograder/source/xlbackprop-*.whl
ln -sf /opt/xlbackprop/bin/xlbackprop /usr/local/bin/xlbackprop
