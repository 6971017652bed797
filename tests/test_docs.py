"""The README tells the truth: its formula table and its command list match the code."""

import doctest
import re
from pathlib import Path

import pytest

from xlbackprop.core import presets
from xlbackprop.cli import main
from xlbackprop.sheets.expressions import Templates
from xlbackprop.sheets.layout import Layout

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


@pytest.mark.libreoffice
def test_the_python_api_section_runs_as_written(tmp_path, monkeypatch):
    """The README's API examples are a doctest: build, train, to_pandas, verify, check_file."""
    monkeypatch.chdir(tmp_path)
    section = README.split("## The Python API", 1)[1].split("\n## ", 1)[0].replace("```python", "").replace("```", "")
    test = doctest.DocTestParser().get_doctest(section, {}, "README: The Python API", "README.md", 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
    assert len(test.examples) >= 10
