"""Nothing lost, nothing falsely OK: no output replaces an input or a file of another kind, any
console works, damaged input and unwritable output are one line and exit 2, Ctrl-C exits 130
and leaves nothing behind, and a build keeps a workbook the user edited."""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import copy_with
from studentbooks import build_case

from xlbackprop.cli import main
from xlbackprop.core import presets, scratch
from xlbackprop.writing import writer

SMALL = presets.load("class-2024").with_overrides(iterations=30)
READ_ONLY = Path("/sys/kernel")  # read-only even for root, on Linux


def cli(*args, env: dict | None = None, limit_bytes: int | None = None, cwd: Path | None = None):
    """The command line in a process of its own, as a user's shell runs it."""
    def limit():
        if limit_bytes is not None:  # a disk that fills up: writes past this many bytes fail (EFBIG)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))
    return subprocess.run([sys.executable, "-m", "xlbackprop", *map(str, args)], capture_output=True,
                          env={**os.environ, **(env or {})}, preexec_fn=limit, cwd=cwd, timeout=600)


def one_line_error(result) -> str:
    err = result.stderr.decode("utf-8")
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


@pytest.fixture
def submissions(tmp_path):
    """Two submissions: a built workbook (right) and a pasted-values one (wrong; needs no engine)."""
    folder = tmp_path / "sub"
    folder.mkdir()
    right = writer.build(SMALL, folder / "anna.xlsx", sweep=())
    wrong = build_case("pasted_values", folder)
    wrong = wrong.rename(folder / "ben.xlsx")
    return [right, wrong]


# -- 1. the report never replaces a submission ---------------------------------------------------------

def test_html_before_a_glob_does_not_swallow_a_submission(submissions):
    before = [p.read_bytes() for p in submissions]
    result = CliRunner().invoke(main, ["check", "--html", *map(str, submissions)])  # as the shell expands sub/*.xlsx
    assert result.exit_code == 2
    assert "is a spreadsheet, not a report name" in result.output and ".html" in result.output
    assert [p.read_bytes() for p in submissions] == before


@pytest.mark.parametrize("name, words", [("same", "is a spreadsheet"), ("notes.txt", "must end in .html"),
                                         ("essay.html", "not a report xlbackprop wrote"),
                                         ("folder.html", "is a folder")])
def test_html_refuses_inputs_and_files_of_another_kind(submissions, name, words):
    target = submissions[0] if name == "same" else submissions[0].parent / name
    if name == "essay.html":
        target.write_text("<html><body>my own page</body></html>", encoding="utf-8")
    if name == "folder.html":
        target.mkdir()
    before = target.read_bytes() if target.is_file() else None
    result = cli("check", *submissions, "--html", target)
    assert result.returncode == 2
    assert words in one_line_error(result)
    assert (target.read_bytes() if target.is_file() else None) == before


def test_an_input_named_like_a_report_is_refused(tmp_path, submissions):
    disguised = tmp_path / "anna.html"
    shutil.copy(submissions[0], disguised)
    before = disguised.read_bytes()
    result = cli("check", disguised, "--html", disguised)
    assert result.returncode == 2 and "also one of the files given" in one_line_error(result)
    assert disguised.read_bytes() == before


def test_html_replaces_its_own_earlier_report_and_says_where(submissions, tmp_path):
    page = tmp_path / "report.html"
    for _ in range(2):
        result = cli("check", *submissions, "--html", page)
        assert result.returncode == 1, result.stderr
        assert f"wrote the report {page}" in result.stderr.decode()
    assert page.read_text(encoding="utf-8").count('id="f-') == 2


# -- 2. any console -------------------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["cp1252", "latin-1"])
def test_text_report_on_a_console_that_is_not_utf8(submissions, encoding):
    result = cli("check", *submissions, env={"PYTHONIOENCODING": encoding})
    assert result.returncode == 1 and b"Traceback" not in result.stderr, result.stderr
    text = result.stdout.decode(encoding)
    assert "eta = 1" in text and "dE/dw1" in text  # η and ∂ as a reader of ASCII writes them
    assert "2 files: 1 right, 1 wrong" in text


def test_json_is_utf8_whatever_the_console(submissions):
    result = cli("check", *submissions, "--json", env={"PYTHONIOENCODING": "cp1252"})
    assert result.returncode == 1 and not result.stderr, result.stderr
    got = json.loads(result.stdout.decode("utf-8"))
    assert [r["status"] for r in got] == ["right", "wrong"]
    assert "∂E/∂w1" in got[0]["tables"][0]["columns"]


def test_errors_on_a_cp1252_console_name_the_file(tmp_path):
    odd = tmp_path / "η∂δ.xlsx"
    odd.write_text("not a workbook")
    result = cli("verify", odd, env={"PYTHONIOENCODING": "cp1252"})
    assert result.returncode == 2
    assert "etaddelta.xlsx: not an .xlsx file" in one_line_error(result).replace("\\", "/")


@pytest.mark.libreoffice
def test_verify_report_on_a_cp1252_console(built):
    result = cli("verify", built("class-2024", iterations=20), env={"PYTHONIOENCODING": "cp1252"})
    assert result.returncode == 0 and b"Traceback" not in result.stderr, result.stderr
    text = result.stdout.decode("cp1252")
    assert "delta_o1" in text and "dE/dw8" in text and "OK: " in text


# -- 3. every row a table holds is verified -------------------------------------------------------------

def fill_down(src: Path, dst: Path, more: int, wrong: dict[str, str] | None = None, stray: str | None = None) -> None:
    """As a fill handle does: ``more`` rows below the table, each formula moved down a row at a time."""
    from openpyxl.formula.translate import Translator

    wb = openpyxl.load_workbook(src)
    ws = wb["Training"]
    last = ws.max_row
    for r in range(last + 1, last + more + 1):
        for c in range(1, ws.max_column + 1):
            above = ws.cell(r - 1, c)
            value = above.value
            if isinstance(value, str) and value.startswith("="):
                value = Translator(value, origin=above.coordinate).translate_formula(ws.cell(r, c).coordinate)
            ws.cell(r, c).value = value
    for coordinate, formula in (wrong or {}).items():
        ws[coordinate] = formula
    if stray is not None:
        ws.cell(last + more + 3, 2).value = stray
    wb.save(dst)


def test_rows_below_the_table_are_read_and_stray_cells_refused(tmp_path):
    from xlbackprop.core.errors import WorkbookError
    from xlbackprop.verifying import reader

    built = writer.build(SMALL, tmp_path / "b.xlsx", sweep=())
    longer = tmp_path / "longer.xlsx"
    fill_down(built, longer, 5)
    data = reader.read_all(longer, values=False).training["Training"]
    assert data.layout.iterations == 30 and data.rows == 35 and data.spec.iterations == 35
    assert data.cells["∂E/∂w3"][34] == "=X48*$B$4"  # row 14 + 34: the last filled row
    stray = tmp_path / "stray.xlsx"
    fill_down(built, stray, 0, stray="my notes")
    with pytest.raises(WorkbookError, match=r"row 46 below the training table holds 'my notes' in B46"):
        reader.read_all(stray, values=False)


@pytest.mark.libreoffice
def test_verify_checks_rows_filled_down_past_the_iterations(tmp_path):
    built = writer.build(SMALL, tmp_path / "b.xlsx", sweep=())
    right, wrong = tmp_path / "right.xlsx", tmp_path / "wrong.xlsx"
    fill_down(built, right, 20)
    fill_down(built, wrong, 20, wrong={"AA55": "=W55*$B$4"})  # iteration 42 of 50: δ_h1 where δ_h2 belongs
    ok = cli("verify", right)
    assert ok.returncode == 0, ok.stdout.decode()
    assert "holds 50 iteration rows, 20 more than its iterations cell says (30)" in ok.stdout.decode()
    assert re.search(r"^w1 +50 ", ok.stdout.decode(), re.M) and "OK: " in ok.stdout.decode()  # 50 rows, not 30
    bad = cli("verify", wrong)
    assert bad.returncode == 1
    assert "CULPRIT AA55 (∂E/∂w3, iteration 42)" in bad.stdout.decode()


# -- 4. damaged input, unwritable output ------------------------------------------------------------------

@pytest.fixture
def damaged(tmp_path):
    good = writer.build(SMALL, tmp_path / "good.xlsx", sweep=())
    data = bytearray(good.read_bytes())
    flipped = bytearray(data)
    for k in range(2000, len(data) - 2000, (len(data) - 4000) // 200):  # 200 bytes inside the members
        flipped[k] ^= 0xFF
    files = {"flipped": tmp_path / "flipped.xlsx", "cut": tmp_path / "cut.xlsx", "badxml": tmp_path / "badxml.xlsx"}
    files["flipped"].write_bytes(bytes(flipped))
    files["cut"].write_bytes(bytes(data[: len(data) // 2]))
    with zipfile.ZipFile(good) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    copy_with(good, files["badxml"], {"xl/worksheets/sheet1.xml": sheet[: len(sheet) // 2]})
    return files


def test_check_calls_damaged_files_unreadable_naming_the_file(damaged):
    result = cli("check", "--json", *damaged.values())
    assert result.returncode == 2
    got = json.loads(result.stdout)
    assert [r["status"] for r in got] == ["unreadable"] * 3
    for r in got:
        assert "please report" not in r["message"] and "\n" not in r["message"]
    assert "damaged" in got[0]["message"] and "not a zip package" in got[1]["message"]
    assert "damaged" in got[2]["message"]


@pytest.mark.libreoffice
@pytest.mark.parametrize("kind", ["flipped", "cut", "badxml"])
def test_verify_of_a_damaged_file_is_one_line_and_leaves_no_temporary_folder(damaged, kind, tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    result = cli("verify", damaged[kind], env={"TMPDIR": str(scratch)})
    assert result.returncode == 2
    line = one_line_error(result)
    assert str(damaged[kind]) in line and ("damaged" in line or "not a zip package" in line)
    assert list(scratch.iterdir()) == []  # LibreOffice's lu*.tmp included


needs_read_only = pytest.mark.skipif(sys.platform != "linux", reason="needs Linux's read-only /sys")


@needs_read_only
def test_html_into_a_read_only_folder_is_one_line(submissions):
    result = cli("check", *submissions, "--html", READ_ONLY / "r.html")
    assert result.returncode == 2 and "cannot write /sys/kernel/r.html" in one_line_error(result)


@needs_read_only
def test_build_into_a_read_only_folder_is_one_line():
    result = cli("build", "-o", READ_ONLY / "b.xlsx", "--iterations", "5")
    assert result.returncode == 2 and "/sys/kernel/b.xlsx" in one_line_error(result)


@needs_read_only
def test_assign_into_a_read_only_folder_is_one_line():
    result = cli("assign", "-o", READ_ONLY / "given")
    assert result.returncode == 2 and "/sys/kernel/given/start.xlsx" in one_line_error(result)


@needs_read_only
@pytest.mark.libreoffice
def test_render_into_a_read_only_folder_is_one_line(built):
    result = cli("render", built("class-2024", iterations=10), "-o", READ_ONLY / "pictures")
    assert result.returncode == 2 and "/sys/kernel/pictures" in one_line_error(result)


def test_a_full_disk_is_one_line_and_leaves_no_half_file(tmp_path, submissions):
    out = tmp_path / "out"
    out.mkdir()
    result = cli("build", "-o", out / "b.xlsx", "--iterations", "2000", limit_bytes=200_000)
    assert result.returncode == 2 and "cannot write" in one_line_error(result)
    page = cli("check", *submissions, "--html", out / "r.html", limit_bytes=2_000)
    assert page.returncode == 2 and "cannot write" in one_line_error(page)
    assert list(out.iterdir()) == []


# -- 5. Ctrl-C is 130, and leaves nothing behind --------------------------------------------------------

def interrupted(args: list, scratch: Path, started) -> subprocess.CompletedProcess:
    """Run the command line, press Ctrl-C once ``started()`` holds, and wait for it to stop."""
    proc = subprocess.Popen([sys.executable, "-m", "xlbackprop", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True,
                            env={**os.environ, "TMPDIR": str(scratch)})
    deadline = time.monotonic() + 120
    while not started() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "the command ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal does on Ctrl-C: the whole foreground group
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def test_ctrl_c_inside_a_deferred_block_arrives_right_after_it():
    steps = []
    with pytest.raises(KeyboardInterrupt):
        with scratch.deferred():
            signal.raise_signal(signal.SIGINT)  # Ctrl-C in the middle of the block
            time.sleep(0.01)
            steps.append("the block's last step")
        steps.append("after the block")
    assert steps == ["the block's last step"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handler is back


def test_ctrl_c_while_a_folder_is_removed_removes_it_all(tmp_path, monkeypatch):
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(scratch.tempfile, "tempdir", None)  # tempfile reads TMPDIR again
    real_rmtree = shutil.rmtree

    def interrupted_rmtree(path, *args, **kwargs):  # Ctrl-C after the first file went
        first = sorted(Path(path).rglob("*"))[-1]
        first.unlink()
        signal.raise_signal(signal.SIGINT)
        time.sleep(0.01)
        real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(scratch.shutil, "rmtree", interrupted_rmtree)
    with pytest.raises(KeyboardInterrupt):
        with scratch.folder("xlbackprop-test-") as folder:
            for n in range(20):
                Path(folder, f"{n}.tmp").write_text("x")
    assert list(tmp_path.iterdir()) == []


def test_a_folder_an_engine_still_writes_into_as_it_dies_is_removed(tmp_path, monkeypatch):
    real_rmtree, failures = shutil.rmtree, []

    def busy_rmtree(path, *args, **kwargs):  # the dying engine adds a file: "Directory not empty", twice
        if len(failures) < 2:
            failures.append(path)
            raise OSError(39, "Directory not empty", str(path))
        real_rmtree(path, *args, **kwargs)

    monkeypatch.setattr(scratch.shutil, "rmtree", busy_rmtree)
    folder = tmp_path / "engine"
    (folder / "user").mkdir(parents=True)
    scratch.remove(folder)
    assert len(failures) == 2 and not folder.exists()


def test_ctrl_c_during_a_build_exits_130(tmp_path):
    scratch, out = tmp_path / "tmp", tmp_path / "out"
    scratch.mkdir()
    result = interrupted(["build", "-o", out / "b.xlsx", "--iterations", "300000", "--sweep", "none"], scratch,
                         started=lambda: out.exists() and any(out.iterdir()))  # its temporary file
    assert result.returncode == 130 and result.stderr.decode().strip() == "interrupted"
    assert list(out.iterdir()) == [] and list(scratch.iterdir()) == []


@pytest.mark.libreoffice
def test_ctrl_c_during_verify_and_check_exits_130_and_leaves_no_engine(tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    book = writer.build(presets.load("class-2024").with_overrides(iterations=20000), tmp_path / "b.xlsx", sweep=())
    before = book.read_bytes()
    engine_started = lambda: any(p.name.startswith("xlbackprop-engine-") for p in scratch.iterdir())
    for args in (["verify", book], ["check", "--recalc", book, book, book, book]):
        result = interrupted(args, scratch, engine_started)
        assert result.returncode == 130, result.stderr
        assert "Traceback" not in result.stderr.decode() and "interrupted" in result.stderr.decode()
        assert list(scratch.iterdir()) == []  # cleaned up before the command ended
    assert book.read_bytes() == before


# -- 6. build keeps a user's edits ------------------------------------------------------------------------

def test_build_replaces_its_own_output_but_not_an_edited_one(tmp_path):
    path = tmp_path / "backprop.xlsx"
    assert cli("build", "-o", path, "--iterations", "5").returncode == 0
    assert cli("build", "-o", path, "--iterations", "6", "--lr", "0.5").returncode == 0  # its own: replaced
    wb = openpyxl.load_workbook(path)
    wb["Training"]["B2"] = 0.3  # a student's edit, saved by a program that is not xlbackprop
    wb.save(path)
    edited = path.read_bytes()
    result = cli("build", "-o", path, "--iterations", "5")
    assert result.returncode == 2
    line = one_line_error(result)
    assert "not replacing it" in line and "--force" in line and str(path) in line
    assert path.read_bytes() == edited
    assert cli("build", "-o", path, "--iterations", "5", "--force").returncode == 0
    assert path.read_bytes() != edited


def test_build_refuses_a_file_of_another_kind_and_a_changed_part(tmp_path):
    other = tmp_path / "notes.xlsx"
    other.write_text("my notes")
    result = cli("build", "-o", other)
    assert result.returncode == 2 and "not a readable zip package" in one_line_error(result)
    assert other.read_text() == "my notes"
    ours = writer.build(SMALL, tmp_path / "ours.xlsx", sweep=())
    with zipfile.ZipFile(ours) as z:
        book = z.read("xl/workbook.xml") + b"\n"  # one byte more, as any edit of a part would do
    changed = tmp_path / "changed.xlsx"
    copy_with(ours, changed, {"xl/workbook.xml": book})
    with pytest.raises(Exception, match="was changed since xlbackprop wrote it"):
        writer.build(SMALL, changed, sweep=())
    writer.build(SMALL, changed, sweep=(), force=True)
    assert changed.read_bytes() == ours.read_bytes()


@pytest.mark.libreoffice
def test_build_names_the_program_that_saved_the_file(built, recalculated, tmp_path):
    saved = tmp_path / "saved.xlsx"
    shutil.copy(recalculated("class-2024", iterations=10), saved)
    with pytest.raises(Exception, match="was saved by LibreOffice; not replacing it"):
        writer.build(SMALL, saved, sweep=())


# -- 7. an LMS download: one subfolder per student ------------------------------------------------------

def test_check_a_folder_of_subfolders_says_so_and_reads_them_recursively(tmp_path, submissions):
    lms = tmp_path / "lms"
    for k, path in enumerate(submissions):
        (lms / f"student {k}").mkdir(parents=True)
        shutil.copy(path, lms / f"student {k}" / path.name)
    (lms / ".hidden").mkdir()
    shutil.copy(submissions[0], lms / ".hidden" / "x.xlsx")
    result = cli("check", lms)
    assert result.returncode == 2
    assert "2 in 2 subfolders; check them with --recursive" in one_line_error(result)
    deep = cli("check", "--recursive", "--json", lms)
    got = json.loads(deep.stdout)
    assert [Path(r["file"]).relative_to(lms).as_posix() for r in got] == ["student 0/anna.xlsx", "student 1/ben.xlsx"]
