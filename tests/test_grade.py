"""Grading a class: assign → students fill in their start files → grade gives the planted marks.

The class is :mod:`classbooks`'s: 32 students on the roster, most right, some with one slip of
each kind, one empty, one trained another student's numbers, one copied a classmate's file, one
renamed theirs, one unreadable, one sent nothing, one sent two files; and a file nobody's.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from classbooks import PLAN, RATES, UNMATCHED, ITERATIONS, make_class

from xlbackprop.core import presets
from xlbackprop.grading import numbers, roster
from xlbackprop.grading.rubric import DEFAULT, covers

RUBRIC = """rates = [0.5, 2.0]
[[part]]
name = "forward pass"
points = 2
covers = "forward"
[[part]]
name = "loss"
points = 1
covers = "loss"
[[part]]
name = "output-layer gradients"
points = 2
covers = "output-gradients"
[[part]]
name = "hidden-layer gradients"
points = 2
covers = "hidden-gradients"
[[part]]
name = "weight updates"
points = 1
covers = "updates"
[[part]]
name = "learning-rate experiment"
points = 1
covers = "learning-rates"
[[part]]
name = "loss chart"
points = 1
covers = "chart"
"""
POINTS = {"forward": 2, "loss": 1, "output-gradients": 2, "hidden-gradients": 2, "updates": 1,
          "learning-rates": 1, "chart": 1}


def cli(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "xlbackprop", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, encoding="utf-8")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")

    def assign(roster_path, out):
        result = cli("assign", "--roster", roster_path, "--seed", 7, "-o", out, "--iterations", ITERATIONS,
                     "--rates", ",".join(f"{r:g}" for r in RATES))
        assert result.returncode == 0, result.stderr

    roster_path, key, sent = make_class(folder, assign)
    (folder / "rubric.toml").write_text(RUBRIC, encoding="utf-8")
    book = folder / "grades.csv"
    result = cli("grade", sent, "--roster", roster_path, "--key", key, "--rubric", folder / "rubric.toml",
                 "--gradebook", book, "--json")
    return folder, result, json.loads(result.stdout), book


@pytest.mark.libreoffice
def test_every_student_gets_the_planted_marks(graded):
    _, result, data, _ = graded
    assert result.returncode == 2  # one submission is unreadable: said, and the rest graded
    students = {s["id"]: s for s in data["students"]}
    assert list(students) == [s.id for s in PLAN]  # the roster's order, every student
    for s in PLAN:
        got = students[s.id]
        expected = 0 if s.missing else 10 - sum(POINTS[p] for p in s.lost)
        assert got["score"] == expected, (s.id, got["feedback"])
        assert got["max_score"] == 10
        if not s.missing:
            lost = {p["covers"] for p in got["submissions"][0]["parts"] if p["points"] < p["max_points"]} \
                if len(got["submissions"]) == 1 else None
            if lost is not None:
                assert lost == set(s.lost), s.id
        for word in s.flags:
            assert any(word in f for f in got["flags"]), (s.id, got["flags"])
        if not s.flags and len(s.extra) == 0:
            assert got["flags"] == [], s.id
    assert students["s31"]["status"] == "missing" and students["s30"]["status"] == "unreadable"
    assert students["s25"]["status"] == "incomplete"


@pytest.mark.libreoffice
def test_matching_by_id_property_file_name_and_the_unmatched(graded):
    _, _, data, _ = graded
    students = {s["id"]: s for s in data["students"]}
    renamed = students["s29"]["submissions"]
    assert [Path(x["file"]).name for x in renamed] == ["final_version.xlsx"] and renamed[0]["matched_by"] == "id property"
    assert students["s28"]["submissions"][0]["matched_by"] == "file name (it carries s27's id)"
    assert [Path(u["file"]).name for u in data["unmatched"]] == [UNMATCHED]
    two = students["s32"]
    assert sorted(Path(x["file"]).name for x in two["submissions"]) == ["s32.xlsx", "s32_old.xlsx"]
    assert any("2 files for this student" in f for f in two["flags"])


@pytest.mark.libreoffice
def test_copies_are_flagged_with_evidence_and_the_template_slip_is_the_most_common(graded):
    _, _, data, _ = graded
    pairs = {tuple(c["students"]): c["evidence"] for c in data["copies"]}
    assert set(pairs) == {("s27", "s28")}
    evidence = " / ".join(pairs[("s27", "s28")])
    assert "carries s27's student id" in evidence and "the same wrong formula in the same cells" in evidence
    top = data["common_slips"][0]
    assert top["students"] == 4 and top["slip"].startswith("δ_h2")


@pytest.mark.libreoffice
def test_the_gradebook_csv_is_what_an_lms_imports(graded):
    _, _, data, book = graded
    raw = book.read_bytes()
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8"))))
    assert list(rows[0]) == ["id", "name", "email", "score", "max_score", "status", "feedback"]
    assert [r["id"] for r in rows] == [s.id for s in PLAN]
    by_id = {r["id"]: r for r in rows}
    assert by_id["s15"]["score"] == "8" and by_id["s15"]["max_score"] == "10"
    assert by_id["s15"]["email"] == "s15@uni.example" and by_id["s15"]["name"] == "Olga Pratt"
    assert "δ_h2" in by_id["s15"]["feedback"] and "\n" not in by_id["s15"]["feedback"]
    assert by_id["s31"]["status"] == "missing"


@pytest.mark.libreoffice
def test_feedback_levels_hint_cause_answer(graded):
    folder = graded[0]
    texts = {}
    for level in ("hint", "cause", "answer"):
        out = cli("grade", folder / "submissions" / "s15.xlsx", "--roster", folder / "class.csv", "--json",
                  "--feedback", level)
        texts[level] = json.loads(out.stdout)["students"][14]["feedback"]
    assert "check which neuron's slope belongs in this formula" in texts["hint"]
    assert "K" not in texts["hint"].split("δ_h2:")[-1]  # no cell of the fix
    assert "uses a_h1's slope" in texts["cause"] and "what belongs there" not in texts["cause"]
    assert "what belongs there: =(U14*G14+V14*I14)*(M14*(1-M14))" in texts["answer"]


def test_check_hints_tells_where_and_what_kind_not_the_fix(tmp_path):
    from studentbooks import build_case

    path = build_case("template_slip", tmp_path)
    out = cli("check", "--hints", path)
    assert out.returncode == 1
    assert "Z33, ∂E/∂w3: check which neuron's slope belongs in this formula" in out.stdout
    assert "L33" not in out.stdout and "uses a_h1's slope" not in out.stdout


def test_assign_numbers_are_the_students_own_and_learn_at_every_rate(tmp_path):
    spec = presets.load(presets.DEFAULT).with_overrides(iterations=ITERATIONS)
    a, b = numbers.draw(spec, 7, "s01", RATES), numbers.draw(spec, 7, "s02", RATES)
    assert a == numbers.draw(spec, 7, "s01", RATES) and a != b and a != numbers.draw(spec, 8, "s01", RATES)
    for own in (a, b):
        assert numbers.learns(own, RATES)
        assert all(0.05 <= w <= 0.8 for w in own.weights) and own.eta == spec.eta


def test_assign_writes_start_files_a_key_and_the_students_id(tmp_path):
    path = tmp_path / "class.csv"
    path.write_text("\ufeffID;Name;Email;extra\na1;Anna Doe;a@x\nb2;Bob Roe;b@x\n", encoding="utf-8")
    out = cli("assign", "--roster", path, "--seed", 3, "-o", tmp_path / "given")
    assert out.returncode == 0, out.stderr
    key = roster.read_key(tmp_path / "given" / "key.csv")
    assert list(key) == ["a1", "b2"] and list(key["a1"]) == ["i1", "i2", "t1", "t2", *[f"w{n}" for n in range(1, 9)],
                                                             "eta"]
    wb = openpyxl.load_workbook(tmp_path / "given" / "a1.xlsx")
    assert {p.name: p.value for p in wb.custom_doc_props.props}["xlbackprop student"] == "a1"
    ws = wb["Training"]
    assert [ws.cell(12, c).value for c in range(2, 10)] == [key["a1"][f"w{n}"] for n in range(1, 9)]
    assert ws["B14"].value == "=$B$12" and ws["J14"].value is None and ws.max_row == 14  # computed cells empty
    assert ws["B2"].value == key["a1"]["eta"] and ws["B4"].value == key["a1"]["i1"]
    again = cli("assign", "--roster", path, "--seed", 3, "-o", tmp_path / "again")
    assert (tmp_path / "again" / "key.csv").read_bytes() == (tmp_path / "given" / "key.csv").read_bytes()
    assert (tmp_path / "again" / "b2.xlsx").read_bytes() == (tmp_path / "given" / "b2.xlsx").read_bytes()
    assert again.returncode == 0
    plain = cli("assign", "-o", tmp_path / "course")
    wb = openpyxl.load_workbook(tmp_path / "course" / "start.xlsx")
    assert [wb["Training"].cell(12, c).value for c in range(2, 10)] == [0.15, 0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.55]
    assert plain.returncode == 0


@pytest.mark.parametrize("text, words", [
    ("name,email\nAnna,a@x\n", ["class.csv has no id column", "name, email"]),
    ("id,name\na1,Anna\na1,Bob\n", ["class.csv, row 3: id: 'a1' again (first in row 2)"]),
    ("id,name\n,Anna\n", ["class.csv, row 2: id: empty"]),
])
def test_a_bad_roster_is_one_line_and_exit_2(tmp_path, text, words):
    path = tmp_path / "class.csv"
    path.write_text(text, encoding="utf-8")
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "a.xlsx").write_bytes(b"x")
    for args in (["assign", "--roster", path, "-o", tmp_path / "out"], ["grade", tmp_path / "subs", "--roster", path]):
        out = cli(*args)
        assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
        for word in words:
            assert word in out.stderr
    assert not (tmp_path / "out").exists()


def test_a_bad_rubric_is_one_line_naming_the_part_and_field(tmp_path):
    (tmp_path / "class.csv").write_text("id\na1\n", encoding="utf-8")
    (tmp_path / "r.toml").write_text('[[part]]\nname = "x"\npoints = 2\ncovers = "gradients"\n', encoding="utf-8")
    (tmp_path / "a1.xlsx").write_bytes(b"x")
    out = cli("grade", tmp_path / "a1.xlsx", "--roster", tmp_path / "class.csv", "--rubric", tmp_path / "r.toml")
    assert out.returncode == 2 and "part 1: covers: 'gradients' is not one of forward" in out.stderr


def test_the_gradebook_never_replaces_the_roster_or_a_submission(tmp_path):
    (tmp_path / "class.csv").write_text("id\na1\n", encoding="utf-8")
    (tmp_path / "a1.xlsx").write_bytes(b"x")
    for target in (tmp_path / "class.csv", tmp_path / "a1.xlsx"):
        before = target.read_bytes()
        out = cli("grade", tmp_path / "a1.xlsx", "--roster", tmp_path / "class.csv", "--gradebook", target)
        assert out.returncode == 2 and target.read_bytes() == before


def test_the_default_rubric_covers_every_quantity_of_the_course_network():
    assert DEFAULT.max_score == 10
    got = {q: covers(q, [2, 2, 2]) for q in ("h1", "a_o2", "E2", "E_total", "δ_o1", "δ_h2", "∂E/∂w4", "∂E/∂w5", "w8")}
    assert got == {"h1": "forward", "a_o2": "forward", "E2": "loss", "E_total": "loss", "δ_o1": "output-gradients",
                   "δ_h2": "hidden-gradients", "∂E/∂w4": "hidden-gradients", "∂E/∂w5": "output-gradients",
                   "w8": "updates"}


AUTOGRADER = Path(__file__).resolve().parent.parent / "docs" / "gradescope" / "run_autograder"
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}


def run_autograder(root: Path, submission: Path | None) -> dict:
    """Gradescope's layout in a folder of our own: source/, submission/, results/."""
    (root / "source").mkdir(parents=True)
    (root / "submission").mkdir()
    if submission is not None:
        shutil.copy(submission, root / "submission" / submission.name)
    env = {**os.environ, "AUTOGRADER": str(root), "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", str(AUTOGRADER)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return json.loads((root / "results" / "results.json").read_text(encoding="utf-8"))


def assert_gradescope_schema(data: dict) -> None:
    """The fields and types of Gradescope's documented results.json."""
    assert isinstance(data["score"], float) and isinstance(data["output"], str)
    assert data.get("visibility", "visible") in VISIBILITIES
    for test in data["tests"]:
        assert set(test) <= {"name", "score", "max_score", "status", "output", "visibility", "number", "tags",
                             "name_format", "output_format"}
        assert isinstance(test["name"], str) and isinstance(test["output"], str)
        assert isinstance(test["score"], float) and isinstance(test["max_score"], float)
        assert test["status"] in ("passed", "failed") and test["visibility"] in VISIBILITIES
        assert (test["status"] == "passed") == (test["score"] == test["max_score"])
    assert data["score"] == sum(t["score"] for t in data["tests"])


@pytest.mark.libreoffice
def test_gradescope_results_of_one_submission(graded, tmp_path):
    folder = graded[0]
    data = run_autograder(tmp_path / "ag", folder / "submissions" / "s15.xlsx")
    assert_gradescope_schema(data)
    assert [t["name"] for t in data["tests"]] == [p.name for p in DEFAULT.parts]
    hidden = next(t for t in data["tests"] if t["name"] == "hidden-layer gradients")
    assert hidden["status"] == "failed" and hidden["score"] == 0.0 and "δ_h2" in hidden["output"]
    assert data["score"] == 7.0  # the default rubric asks for six rates; s15 trained three
    broken = run_autograder(tmp_path / "broken", folder / "submissions" / "s30.xlsx")  # not a workbook
    assert_gradescope_schema(broken)
    assert broken["score"] == 0.0 and "could not be read" in broken["output"] + "".join(t["output"] for t in broken["tests"])


def test_gradescope_results_without_a_spreadsheet(tmp_path):
    data = run_autograder(tmp_path / "ag", None)
    assert_gradescope_schema(data)
    assert data["score"] == 0.0 and "No spreadsheet" in data["output"]


def _tiny_book(evil: str) -> dict:
    """A gradebook object of two students, one with a name and file a student could have typed."""
    part = {"name": "forward pass", "covers": "forward", "points": 0.0, "max_points": 2.0, "why": "h1 wrong"}
    sub = {"file": f"subs/{evil}.xlsx", "matched_by": "file name", "numbers": None, "chart": True,
           "status": "wrong", "message": "1 table", "score": 8.0, "parts": [part]}
    return {"rubric": {"parts": [], "rates": [0.5], "max_score": 10.0}, "feedback_level": "cause",
            "students": [{"id": "a1", "name": evil, "email": "", "score": 8.0, "max_score": 10.0, "status": "wrong",
                          "feedback": f"Score 8 of 10.\n  J14, h1: uses {evil}", "flags": [], "submissions": [sub]},
                         {"id": "b2", "name": "Bob", "email": "", "score": 0.0, "max_score": 10.0,
                          "status": "missing", "feedback": "No submission.", "flags": [], "submissions": []}],
            "unmatched": [{"file": f"{evil}.xlsx", "why": "no student"}],
            "copies": [{"students": ["a1", "b2"], "evidence": [evil]}],
            "common_slips": [{"slip": f"h1: {evil}", "students": 2}]}


def test_the_class_report_is_escaped_well_formed_and_counts_the_scores():
    from lxml import etree

    from xlbackprop.grading.html import render

    evil = '<script>alert("x")</script>&'
    page = render(_tiny_book(evil))
    root = etree.fromstring(page.split("\n", 1)[1].encode())  # well-formed XML past the doctype
    assert "<script>" not in page and page.count("&lt;script&gt;") >= 5
    ns = {"s": "http://www.w3.org/2000/svg"}
    bars = root.findall(".//s:rect", ns)
    assert len(bars) == 11  # a bar a score 0..10
    heights = [float(b.get("height")) for b in bars]
    assert heights[8] > 0 and all(h == 0 for k, h in enumerate(heights) if k != 8)  # the one graded student: 8
    assert page == render(_tiny_book(evil))  # the same bytes


@pytest.mark.browser
@pytest.mark.libreoffice
def test_chromium_renders_the_class_report(graded, tmp_path):
    from PIL import Image

    folder = graded[0]
    page, png = tmp_path / "class.html", tmp_path / "class.png"
    out = cli("grade", folder / "submissions", "--roster", folder / "class.csv", "--key", folder / "assign" / "key.csv",
              "--rubric", folder / "rubric.toml", "--html", page)
    assert out.returncode == 2 and page.exists()  # the unreadable file: exit 2, the report written all the same
    base = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}"]
    shot = subprocess.run(base + [f"--screenshot={png}", "--window-size=1100,900", page.as_uri()],
                          capture_output=True, text=True, timeout=180)
    dom = subprocess.run(base + ["--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=180)
    assert shot.returncode == 0 and dom.returncode == 0, shot.stderr[-2000:]
    assert dom.stdout.count('<section class="file"') == len(PLAN) and "Possible copies" in dom.stdout
    with Image.open(png) as image:
        data = image.convert("RGB").tobytes()
    pixels = list(zip(data[0::3], data[1::3], data[2::3]))
    blue = sum(1 for r, g, b in pixels if b > 180 and r < 40 and 80 < g < 130)  # the histogram's bars
    assert blue > 2000
    again = cli("grade", folder / "submissions", "--roster", folder / "class.csv", "--html", folder / "class.csv")
    assert again.returncode == 2 and "class.csv" in again.stderr  # never over the roster


HANDMADE = Path(__file__).resolve().parent.parent.parent / "shared" / "handmade"


def _labelled() -> dict[str, str]:
    """file -> right, wrong or not filled in, from LABELS.md's table (made by an independent trainer)."""
    out = {}
    for line in (HANDMADE / "LABELS.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 3 and cells[1].endswith(".xlsx"):
            verdict = cells[3]
            out[cells[1]] = "not filled in" if verdict.startswith("not filled") else verdict.split()[0].rstrip(":;")
    return out


def test_the_real_workbooks_graded_with_the_class_numbers(tmp_path):
    if not HANDMADE.is_dir():
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("../shared/handmade is not beside the repository under CI")
        pytest.skip("../shared/handmade is not beside the repository")
    labels = _labelled()
    assert len(labels) == 36
    roster_path = tmp_path / "class.csv"
    roster_path.write_text("id,name,email\n" + "".join(f"{Path(f).stem},,\n" for f in labels), encoding="utf-8")
    out = cli("grade", HANDMADE, "--roster", roster_path, "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    computed = {"forward", "loss", "output-gradients", "hidden-gradients", "updates"}
    for s in data["students"]:
        label = labels[f"{s['id']}.xlsx"]
        (sub,) = s["submissions"]
        assert sub["matched_by"] == "file name"
        lost = {p["covers"] for p in sub["parts"] if p["points"] < p["max_points"]} & computed
        if label == "right":
            assert lost == set(), s["id"]
        elif label == "wrong":
            assert lost, s["id"]
        else:
            assert lost == computed and s["score"] <= 1, s["id"]  # nothing filled in; a chart at most
    top = data["common_slips"][0]
    assert top["students"] == 15 and "a_h1's slope" in top["slip"]  # LABELS.md: 15 carry the template's slip
    assert data["unmatched"] == []


def test_gradescope_grades_a_file_whatever_its_name(tmp_path):
    odd = tmp_path / "___.xlsx"
    odd.write_bytes(b"PK\x03\x04 not a workbook")
    data = run_autograder(tmp_path / "ag", odd)
    assert_gradescope_schema(data)
    assert len(data["tests"]) == len(DEFAULT.parts) and data["score"] == 0.0
    assert "could not be read" in "".join(t["output"] for t in data["tests"])
