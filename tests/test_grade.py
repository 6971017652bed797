"""Grading a class: assign → students fill in their start files → grade gives the planted marks.

The class is :mod:`classbooks`'s: 32 students on the roster, most right, some with one slip of
each kind, one empty, one trained another student's numbers, one copied a classmate's file, one
renamed theirs, one unreadable, one sent nothing, one sent two files; and a file nobody's.
"""

from __future__ import annotations

import csv
import io
import json
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
