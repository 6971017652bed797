"""The README and docs/ tell the truth: their formula table, command lines, links and examples
match the code, and the README stays short."""

import doctest
import re
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import xlbackprop
from xlbackprop.cli import main
from xlbackprop.core import presets
from xlbackprop.sheets.expressions import Templates
from xlbackprop.sheets.layout import Layout

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
HANDMADE = ROOT.parent / "shared" / "handmade"  # the hand-made workbooks check.md's example reads, beside the repository
README = (ROOT / "README.md").read_text(encoding="utf-8")
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
MOST_LINES = 200


def page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def blocks(text: str) -> list[str]:
    """The fenced code blocks of a markdown text, without their fences."""
    return re.findall(r"^```[^\n]*\n(.*?)^```", text, re.M | re.S)


def run(*args: str):
    return CliRunner().invoke(main, list(args), prog_name="xlbackprop")


def agrees(want: str, got: str) -> bool:
    """``got`` is ``want``, where ``...`` in ``want`` stands for anything (doctest's ELLIPSIS);
    trailing spaces and the LibreOffice version aside."""
    def norm(text: str) -> str:
        text = re.sub(r"LibreOffice \d[^;]*;", "LibreOffice ...;", text)
        return "\n".join(line.rstrip() for line in text.strip().splitlines()) + "\n"
    return doctest.OutputChecker().check_output(norm(want), norm(got), doctest.ELLIPSIS)


# ---------------------------------------------------------------- the README

def test_the_readme_is_short():
    assert len(README.splitlines()) <= MOST_LINES


def test_every_command_is_in_the_readme():
    for name in main.commands:
        assert f"xlbackprop {name}" in README, name


def test_every_preset_is_in_the_readme_and_in_the_workbook_page():
    table = page("workbook.md")
    for name in presets.names():
        assert f"`{name}`" in README, name
        assert re.search(rf"^\| `{re.escape(name)}`", table, re.M), name


def test_the_readme_links_every_docs_page():
    for path in DOCS.glob("*.md"):
        assert f"](docs/{path.name})" in README, path.name


# ---------------------------------------------------------------- command lines

def synopses() -> list[tuple[str, str]]:
    """``(page, line)`` for every command line of every synopsis block (a block whose first line
    starts with ``xlbackprop ``), its continuation lines joined on."""
    out = []
    for path in PAGES:
        for block in blocks(path.read_text(encoding="utf-8")):
            if not block.startswith("xlbackprop "):
                continue
            for line in block.splitlines():
                if line[:1].isspace() and out:
                    out[-1] = (out[-1][0], out[-1][1] + " " + line.strip())
                elif line.strip():
                    out.append((path.name, line.strip()))
    return out


def test_there_are_synopses():
    names = {line.split()[1] for _, line in synopses()}
    assert names == set(main.commands)


@pytest.mark.parametrize("where, line", synopses())
def test_a_synopsis_names_exactly_the_commands_options(where, line):
    command = main.commands[line.split()[1]]
    options = [p for p in command.params if isinstance(p, click.Option) and p.name != "help"]
    known = {o for p in options for o in (*p.opts, *p.secondary_opts)}
    written = set(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", line))
    assert written - known == set(), f"{where}: not an option of {command.name}"
    missing = [p.opts[0] for p in options if not written & {*p.opts, *p.secondary_opts}]
    assert missing == [], f"{where}: {command.name}'s synopsis leaves out options"


def test_the_formula_table_matches_the_seed_workbook():
    layout = Layout(presets.load("class-2024").network, 100)
    templates = Templates(layout)
    rows = re.findall(r"^\| (\S+) \(([A-Z]+)(\d+)\) \| `(=[^`]+)` \|", page("workbook.md"), re.M)
    assert len(rows) >= 8
    for name, letter, row, exp in rows:
        assert layout.column[name].letter == letter, name
        got = templates.formula(name, int(row) - layout.first_row + 1)
        assert got == exp, name


def test_the_module_map_names_every_module_and_no_other():
    package = ROOT / "xlbackprop"
    modules = {p.relative_to(package).as_posix() for p in package.rglob("*.py")
               if p.name != "__main__.py" and not (p.name == "__init__.py" and p.parent != package)}
    mapped = set(re.findall(r"^\| `([\w/]+\.py)` \|", page("architecture.md"), re.M))
    assert sorted(modules - mapped) == [], "modules docs/architecture.md does not map"
    assert sorted(mapped - modules) == [], "modules docs/architecture.md maps that are not there"


# ---------------------------------------------------------------- links

def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def broken_links(path: Path) -> list[str]:
    """Every relative link or picture of a markdown file whose file, or heading, is not there."""
    text = path.read_text(encoding="utf-8")
    prose = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    prose = re.sub(r"`[^`\n]*`", "", prose)  # code spans are not links, even when they look like one
    out = []
    for target in re.findall(r"\]\(([^)\s]+)\)", prose):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        name, _, anchor = target.partition("#")
        file = (path.parent / name).resolve() if name else path
        if not file.exists():
            out.append(target)
        elif anchor and file.suffix == ".md":
            headings = re.findall(r"^#+ (.+)$", re.sub(r"^```.*?^```", "", file.read_text(encoding="utf-8"),
                                                    flags=re.M | re.S), re.M)
            if anchor not in {slug(h) for h in headings}:
                out.append(target)
    return out


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.name)
def test_every_relative_link_points_to_a_file_that_is_there(path):
    assert broken_links(path) == []


def test_the_link_check_catches_a_broken_link(tmp_path):
    (tmp_path / "b.md").write_text("# Some heading\n", encoding="utf-8")
    (tmp_path / "a.md").write_text("[ok](b.md) [ok](b.md#some-heading) [web](https://example.org)\n"
                                   "[gone](c.md) [no such heading](b.md#other) ![gone](x.png)\n"
                                   "`[code](d.md)`\n", encoding="utf-8")
    assert broken_links(tmp_path / "a.md") == ["c.md", "b.md#other", "x.png"]


# ---------------------------------------------------------------- the examples, run

@pytest.mark.libreoffice
def test_the_python_api_page_runs_as_written(tmp_path, monkeypatch):
    """docs/api.md is a doctest: build, train, to_pandas, verify, check_file."""
    monkeypatch.chdir(tmp_path)
    text = page("api.md").replace("```python", "").replace("```", "")
    test = doctest.DocTestParser().get_doctest(text, {}, "docs/api.md", str(DOCS / "api.md"), 0)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
    assert len(test.examples) >= 10


@pytest.mark.skipif(not HANDMADE.is_dir(), reason="../shared/handmade is not beside the repository")
def test_the_check_example_runs_as_written(tmp_path, monkeypatch):
    """docs/check.md's example: three hand-made workbooks, under their short names."""
    (example,) = [b for b in blocks(page("check.md")) if b.startswith("$ xlbackprop check ")]
    command, want = example.split("\n", 1)
    args = command.split()[3:]  # after "$ xlbackprop check"
    for name in args:
        (source,) = HANDMADE.glob(f"{Path(name).stem}*.xlsx")
        shutil.copy(source, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    result = run("check", *args)
    assert result.exit_code == 1, result.output
    assert agrees(want, result.stdout), result.stdout


@pytest.mark.libreoffice
def test_the_verify_examples_run_as_written(tmp_path, monkeypatch, built):
    """docs/verify.md's reports: the default workbook, one constant typed over ∂E/∂w1, and the
    course template's ∂E/∂w3."""
    from conftest import edit_cell

    text = page("verify.md")
    reports = {b.split()[1]: b for b in blocks(text) if b.startswith("verify ")}
    assert set(reports) == {"output/backprop.xlsx", "y25.xlsx"}
    monkeypatch.chdir(tmp_path)

    xlbackprop.build("class-2024", "output/backprop.xlsx")  # the default workbook, its sweep included
    result = run("verify", "output/backprop.xlsx")
    assert result.exit_code == 0, result.output
    assert agrees(reports["output/backprop.xlsx"], result.stdout), result.stdout

    edit_cell(built("class-2024"), tmp_path / "y25.xlsx", "Y19", '<c r="Y19"><v>0.0001</v></c>')
    result = run("verify", "y25.xlsx")
    assert result.exit_code == 1, result.output
    assert agrees(reports["y25.xlsx"], result.stdout), result.stdout

    (line,) = re.findall(r"`(CULPRIT AA18 [^`]*)`", text)
    edit_cell(built("class-2024"), tmp_path / "aa18.xlsx", "AA18", '<c r="AA18"><f>W18*$B$4</f></c>')
    result = run("verify", "aa18.xlsx")
    assert result.exit_code == 1, result.output
    assert " ".join(line.split()) in result.stdout.splitlines()[1], result.stdout
