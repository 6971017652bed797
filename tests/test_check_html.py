"""The check report page: well-formed, one row and one section per file, badges, charts, escaping.

The results are built by hand here, as the checker's JSON output would give them. The last test
opens the page in headless Chromium (marked ``browser``, skipped where chromium is not installed).
"""

from __future__ import annotations

import copy
import math
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from xlbackprop.check.html import render

SVG = "{http://www.w3.org/2000/svg}"
EVIL = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "'><svg onload=alert(1)>"]


def table(**overrides) -> dict:
    expected = [0.2425 * math.exp(-0.03 * i) for i in range(46)]
    t = {"sheet": "Sheet1", "header_row": 32, "first_row": 33, "last_row": 78, "eta": 0.5,
         "eta_cell": "Sheet1!$H$30", "columns": {"w1": "E", "a_h1": "J", "∂E/∂w3": "Z"}, "verdict": "wrong",
         "errors": [{"quantity": "∂E/∂w3", "kind": "formula", "column": "Z", "row": 33,
                     "got": 0.00022487247755452336, "expected": 0.0002248134625761188,
                     "formula": "=((R33-A33)*R33*(1-R33)*N33+(T33-B33)*T33*(1-T33)*P33)*J33*(1-J33)*C33",
                     "cause": "∂E/∂w3 (column Z, from row 33): uses a_h1's slope J33*(1-J33) where a_h2's "
                              "belongs (L33*(1-L33))"}],
         "warnings": [{"quantity": "E2", "column": "V", "row": 33, "formula": "=0.5*(A33-T33)^2",
                       "cause": "target and output swapped; the square hides it"}],
         "curve": {"got": [v * (1 + 0.002 * i) for i, v in enumerate(expected)], "expected": expected}}
    t.update(overrides)
    return t


def result(file="students/anna.xlsx", status="wrong", message="1 root cause", tables=None) -> dict:
    return {"file": file, "status": status, "message": message, "tables": [table()] if tables is None else tables}


def batch() -> list[dict]:
    right = table(verdict="right", errors=[], warnings=[], curve={"got": [0.3, 0.2, 0.1], "expected": [0.3, 0.2, 0.1]})
    return [result(),
            result("students/ben.xlsx", "right", "all rows agree", [right]),
            result("students/chloe.xlsx", "incomplete", "stops early", [table(verdict="incomplete", errors=[])]),
            result("students/dan.xlsx", "no-table", "no table found", []),
            {"file": "students/eve.xlsx", "status": "unreadable", "message": "not a zip file"}]


def parse(page: str) -> ET.Element:
    """The page as XML: this fails unless every tag closes and every ``&`` starts an entity."""
    return ET.fromstring(page.encode("utf-8"))


def find(root: ET.Element, tag: str, **attrs) -> list[ET.Element]:
    found = root.iter(SVG + tag) if tag in ("svg", "polyline", "circle", "text", "g") else root.iter(tag)
    return [e for e in found if all(attr in (e.get(k) or "").split() for k, attr in attrs.items())]


def text(element: ET.Element) -> str:
    return "".join(element.itertext())


def student_line(svg: ET.Element) -> ET.Element:
    return next(g for g in svg.iter(SVG + "g") if g.get("class") == "got")


def test_page_is_well_formed_and_self_contained():
    page = render(batch())
    root = parse(page)
    assert root.tag == "html" and page.startswith("<!DOCTYPE html>")
    # Only void HTML elements and SVG shapes close themselves (an HTML parser ignores "/>" elsewhere).
    assert set(re.findall(r"<(\w+)[^<>]*/>", page)) <= {"meta", "line", "polyline", "circle"}
    assert not find(root, "script") and not find(root, "link") and not find(root, "img")
    assert "url(" not in page and "@import" not in page and "@font-face" not in page
    assert re.findall(r"https?://[^\"' ]+", page) == ["http://www.w3.org/2000/svg"] * len(find(root, "svg"))


def test_title_and_summary_count_the_files_per_status():
    root = parse(render(batch()))
    assert text(find(root, "title")[0]) == text(find(root, "h1")[0]) == "xlbackprop check: 5 files"
    summary = text(find(root, "p", **{"class": "summary"})[0])
    assert summary == "1 right · 1 wrong · 1 incomplete · 1 no-table · 1 unreadable"
    assert text(find(parse(render([result()])), "h1")[0]) == "xlbackprop check: 1 file"
    assert text(find(parse(render([])), "p", **{"class": "summary"})[0]) == "no files"


def test_one_row_and_one_section_per_file_linked_by_index():
    results = batch()
    root = parse(render(results))
    rows = find(find(root, "tbody")[0], "tr")
    sections = find(root, "section", **{"class": "file"})
    assert len(rows) == len(sections) == len(results)
    for i, (row, section, r) in enumerate(zip(rows, sections, results)):
        cells = [text(td) for td in row.findall("td")]
        link = row.find("td/a")
        assert link.get("href") == f"#{section.get('id')}" == f"#f-{i}"
        assert cells[0] == r["file"] and cells[1] == r["status"] and cells[4] == r["message"]
        assert cells[2:4] == [str(len(r.get("tables", []))), str(sum(len(t["errors"]) for t in r.get("tables", [])))]
        assert text(section.find("h2")).startswith(r["file"])


def test_badges_colour_each_status_and_verdict():
    root = parse(render(batch()))
    badges = [(text(b), b.get("class")) for b in find(root, "span", **{"class": "badge"})]
    table_badges = badges[:5]
    assert table_badges == [("wrong", "badge bad"), ("right", "badge ok"), ("incomplete", "badge warn"),
                            ("no-table", "badge grey"), ("unreadable", "badge grey")]
    assert ("wrong", "badge bad") in badges[5:] and ("right", "badge ok") in badges[5:]
    css = text(find(root, "style")[0])
    for name in ("ok", "bad", "warn"):
        assert f".badge.{name}{{" in css


def test_table_heading_root_causes_and_warnings():
    root = parse(render([result()]))
    info = find(root, "div", **{"class": "info"})[0]
    assert text(info.find("h3")).startswith("Sheet1, header row 32, rows 33–78, η = 0.5 (Sheet1!$H$30)")
    cause = find(info, "ul", **{"class": "causes"})[0].find("li")
    line = text(cause)
    assert line.startswith("∂E/∂w3 formula cell Z33: got 0.0002248724776 → expected 0.0002248134626")
    assert text(find(cause, "code", **{"class": "formula"})[0]) == table()["errors"][0]["formula"]
    assert "uses a_h1's slope J33*(1-J33) where a_h2's belongs" in line
    warning = text(find(info, "ul", **{"class": "warnings"})[0])
    assert warning == "E2 (V33): target and output swapped; the square hides it =0.5*(A33-T33)^2"


def test_null_numbers_in_a_root_cause_show_a_dash():
    error = dict(table()["errors"][0], got=None, expected=None, formula=None)
    root = parse(render([result(tables=[table(errors=[error])])]))
    cause = find(root, "ul", **{"class": "causes"})[0].find("li")
    assert "got — → expected —" in text(cause) and not find(cause, "code", **{"class": "formula"})


def test_a_curve_draws_two_polylines_the_correct_one_grey_and_thicker():
    root = parse(render([result()]))
    svg = find(root, "svg")[0]
    assert (svg.get("width"), svg.get("height")) == ("320", "160")
    expected, got = find(svg, "polyline")
    assert expected.get("stroke") == "#9ca3af" and float(expected.get("stroke-width")) > float(got.get("stroke-width"))
    assert got.get("stroke") == "#c62828"  # red: the table is wrong
    assert len(got.get("points").split()) == len(expected.get("points").split()) == 46
    labels = [text(t) for t in find(svg, "text")]
    assert {"correct", "in the file", "row 33", "row 78", "0.2425"} <= set(labels) and "log scale" not in labels


def test_the_student_line_is_green_when_the_table_is_right():
    right = table(verdict="right", errors=[])
    svg = find(parse(render([result(status="right", tables=[right])])), "svg")[0]
    assert find(svg, "polyline")[1].get("stroke") == "#1a7f37"


def test_null_points_are_skipped_and_break_the_line():
    got = [0.30, 0.29, None, 0.27, 0.26, float("nan"), 0.24, None, "#DIV/0!", 0.21, 0.20]
    curve = {"got": got, "expected": [0.30 - 0.01 * i for i in range(len(got))]}
    svg = find(parse(render([result(tables=[table(curve=curve)])])), "svg")[0]
    line = student_line(svg)
    runs = [len(p.get("points").split()) for p in find(line, "polyline")]
    assert runs == [2, 2, 2] and len(find(line, "circle")) == 1  # 0.24 stands alone
    assert "nan" not in ET.tostring(svg, encoding="unicode").lower()
    assert len(find(svg, "polyline")) == 4  # the correct curve has no gap


@pytest.mark.parametrize("curve", [None, {}, {"got": [], "expected": []}, {"got": [None, None], "expected": []}])
def test_no_chart_without_a_curve(curve):
    t = table() if curve is None else table(curve=curve)
    if curve is None:
        del t["curve"]
    root = parse(render([result(tables=[t])]))
    assert not find(root, "svg") and not find(root, "polyline")


def test_one_curve_alone_still_draws():
    svg = find(parse(render([result(tables=[table(curve={"got": [0.3, 0.2], "expected": []})])])), "svg")[0]
    assert len(find(svg, "polyline")) == 1 and student_line(svg) is not None


def test_log_scale_when_values_span_more_than_three_decades():
    values = [10.0 ** -k for k in range(6)]
    svg = find(parse(render([result(tables=[table(curve={"got": values, "expected": values})])])), "svg")[0]
    labels = [text(t) for t in find(svg, "text")]
    assert "log scale" in labels and "1" in labels and "1e-05" in labels
    ys = [float(p.split(",")[1]) for p in find(svg, "polyline")[0].get("points").split()]
    steps = [b - a for a, b in zip(ys, ys[1:])]
    assert max(steps) - min(steps) < 0.2  # evenly spaced decades


def test_a_flat_curve_and_a_single_point_stay_inside_the_chart():
    for curve in ({"got": [0.25] * 5, "expected": [0.25] * 5}, {"got": [0.25], "expected": [0.25]}):
        svg = find(parse(render([result(tables=[table(curve=curve)])])), "svg")[0]
        for shape in find(svg, "polyline") + find(svg, "circle"):
            xs = shape.get("points", f"{shape.get('cx')},{shape.get('cy')}").split()
            assert all(0 <= float(v) <= 320 for p in xs for v in p.split(","))


def test_long_curves_are_thinned_to_a_few_points_per_pixel():
    values = [1 / (1 + i) + 0.001 * (i % 7) for i in range(100_000)]
    page = render([result(tables=[table(curve={"got": values, "expected": values})])])
    got = find(student_line(find(parse(page), "svg")[0]), "polyline")[0]
    assert len(got.get("points").split()) <= 4 * 260 and len(page) < 100_000


@pytest.mark.parametrize("evil", EVIL)
def test_untrusted_strings_appear_only_escaped(evil):
    error = dict(table()["errors"][0], quantity=evil, kind=evil, column=evil, formula=evil, cause=evil, got=evil)
    warning = {"quantity": evil, "column": evil, "row": evil, "formula": evil, "cause": evil}
    t = table(sheet=evil, eta_cell=evil, header_row=evil, verdict=evil, errors=[error], warnings=[warning])
    page = render([result(file=evil, status=evil, message=evil, tables=[t])])
    root = parse(page)
    assert not find(root, "script") and not find(root, "img") and len(find(root, "svg")) == 1
    assert not [k for e in root.iter() for k in e.attrib if k.lower().startswith("on")]
    assert "<script" not in page and "<img" not in page and "<svg onload" not in page
    assert page.count("&lt;") >= 15 and text(root).count(evil) >= 15
    assert {e.get("class") for e in find(root, "span", **{"class": "badge"})} == {"badge grey"}


def test_control_characters_and_lone_surrogates_cannot_break_the_page():
    page = render([result(file="a\x00b\x1b\ud800.xlsx", message="tab\tand\nnewline")])
    page.encode("utf-8")
    root = parse(page)
    assert text(find(root, "h2")[0]).startswith("a\ufffdb\ufffd\ufffd.xlsx")


def test_same_input_same_bytes():
    results = batch()
    page = render(results)
    assert render(copy.deepcopy(results)) == page == render(results)
    assert results == batch()  # the input is left as it was


@pytest.mark.browser
@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed (apt-get install -y chromium)")
def test_chromium_renders_the_page(tmp_path):
    from PIL import Image

    results = batch() + [result(file=EVIL[1], message=EVIL[0])]
    page, png = tmp_path / "report.html", tmp_path / "report.png"
    page.write_text(render(results), encoding="utf-8")
    base = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}"]
    url = page.as_uri()
    shot = subprocess.run(base + [f"--screenshot={png}", "--window-size=1200,1600", url],
                          capture_output=True, text=True, timeout=180)
    dom = subprocess.run(base + ["--dump-dom", url], capture_output=True, text=True, timeout=180)
    assert shot.returncode == 0 and dom.returncode == 0, shot.stderr[-2000:] + dom.stderr[-2000:]
    assert all(f'id="f-{i}"' in dom.stdout for i in range(len(results))) and 'id="f-6"' not in dom.stdout
    assert dom.stdout.count('<section class="file"') == len(results) and dom.stdout.count("<svg") == 4
    assert "<img" not in dom.stdout and "<script" not in dom.stdout and "&lt;script&gt;" in dom.stdout
    with Image.open(png) as image:
        assert image.size == (1200, 1600)
        data = image.convert("RGB").tobytes()
    pixels = list(zip(data[0::3], data[1::3], data[2::3]))
    assert len(set(pixels)) > 50  # not a blank single colour: text, badges and charts
    red = sum(1 for r, g, b in pixels if r > 150 and g < 90 and b < 90)
    green = sum(1 for r, g, b in pixels if g > 100 and r < 80 and b < 90)
    assert red > 100 and green > 100  # the wrong table's line and badges, the right one's
