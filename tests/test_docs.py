"""The README tells the truth: its formula table and its command list match the code."""

import re
from pathlib import Path

from xlbackprop import presets
from xlbackprop.cli import main
from xlbackprop.expressions import Templates
from xlbackprop.layout import Layout

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_formula_table_matches_the_seed_workbook():
    layout = Layout(presets.load("class-2024").network, 100)
    templates = Templates(layout)
    rows = re.findall(r"^\| (\S+) \(([A-Z]+)(\d+)\) \| `(=[^`]+)` \|", README, re.M)
    assert len(rows) >= 8
    for name, letter, row, exp in rows:
        assert layout.column[name].letter == letter, name
        got = templates.formula(name, int(row) - layout.first_row + 1)
        assert got == exp, name


def test_every_command_is_in_the_readme():
    for name in main.commands:
        assert f"xlbackprop {name}" in README, name


def test_every_preset_is_in_the_readme():
    for name in presets.names():
        assert f"`{name}`" in README, name
