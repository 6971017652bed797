"""The check report page: well-formed, one row and one section per file, badges, charts, escaping.

The results are built by hand here, as the checker's JSON output would give them. The last test
opens the page in headless Chromium (marked ``browser``, skipped where chromium is not installed).
"""

from __future__ import annotations

import copy
import math
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

from xlbackprop.check.html import LEFT, RIGHT, H, W, render

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
    svg = ("svg", "polyline", "circle", "text", "g", "line", "rect")
    found = root.iter(SVG + tag) if tag in svg else root.iter(tag)
    return [e for e in found if all(attr in (e.get(k) or "").split() for k, attr in attrs.items())]


def text(element: ET.Element) -> str:
    return "".join(element.itertext())


def group(svg: ET.Element, css: str) -> ET.Element:
    return next(g for g in svg.iter(SVG + "g") if g.get("class") == css)


def student_line(svg: ET.Element) -> ET.Element:
    return group(svg, "got")


def chart(curve: dict, **overrides) -> ET.Element:
    """The one chart of a page whose one table has this curve."""
    return find(parse(render([result(tables=[table(curve=curve, **overrides)])])), "svg")[0]


def points(line: ET.Element) -> list[tuple[float, float]]:
    return [tuple(map(float, p.split(","))) for p in line.get("points").split()]


def labels(svg: ET.Element, css: str) -> list[str]:
    return [text(t) for t in find(group(svg, css), "text")]


def tick_x(svg: ET.Element, label: str) -> float:
    """The x of the iteration axis's tick mark labelled ``label``."""
    axis = group(svg, "xaxis")
    return float(find(axis, "line")[labels(svg, "xaxis").index(label)].get("x1"))


def summary(svg: ET.Element) -> str:
    return text(find(svg, "text", **{"class": "summary"})[0])


def test_page_is_well_formed_and_self_contained():
    page = render(batch())
    root = parse(page)
    assert root.tag == "html" and page.startswith("<!DOCTYPE html>")
    # Only void HTML elements and SVG shapes close themselves (an HTML parser ignores "/>" elsewhere).
    assert set(re.findall(r"<(\w+)[^<>]*/>", page)) <= {"meta", "line", "polyline", "circle", "rect"}
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


def test_a_curve_draws_the_correct_run_grey_and_thicker_under_the_file():
    svg = chart(table()["curve"])
    assert (svg.get("width"), svg.get("height")) == (str(W), str(H))
    (expected,), (got,) = find(group(svg, "expected"), "polyline"), find(group(svg, "got"), "polyline")
    assert expected.get("stroke") == "#9ca3af" and float(expected.get("stroke-width")) > float(got.get("stroke-width"))
    assert got.get("stroke") == "#c62828"  # red: the table is wrong
    assert len(points(got)) == len(points(expected)) == 46
    assert labels(svg, "legend") == ["correct run", "in the file", "off by > 1e-12"]
    assert labels(svg, "yaxis") == ["0.05", "0.10", "0.15", "0.20", "0.25"]  # 0.0629 … 0.2425, linear
    assert "E_total" in [text(t) for t in find(svg, "text")]


def test_the_student_line_is_green_when_the_table_is_right():
    right = table(verdict="right", errors=[])
    svg = find(parse(render([result(status="right", tables=[right])])), "svg")[0]
    assert find(student_line(svg), "polyline")[0].get("stroke") == "#1a7f37"


def test_null_points_are_skipped_and_break_the_line():
    got = [0.30, 0.29, None, 0.27, 0.26, float("nan"), 0.24, None, "#DIV/0!", 0.21, 0.20]
    curve = {"got": got, "expected": [0.30 - 0.01 * i for i in range(len(got))]}
    svg = chart(curve)
    line = student_line(svg)
    runs = [len(p.get("points").split()) for p in find(line, "polyline")]
    assert runs == [2, 2, 2] and len(find(line, "circle")) == 1  # 0.24 stands alone
    assert "nan" not in ET.tostring(svg, encoding="unicode").lower()
    assert len(find(group(svg, "expected"), "polyline")) == 1  # the correct curve has no gap


@pytest.mark.parametrize("curve", [None, {}, {"got": [], "expected": []}, {"got": [None, None], "expected": []}])
def test_no_chart_without_a_curve(curve):
    t = table() if curve is None else table(curve=curve)
    if curve is None:
        del t["curve"]
    root = parse(render([result(tables=[t])]))
    assert not find(root, "svg") and not find(root, "polyline")


def test_one_curve_alone_still_draws():
    svg = chart({"got": [0.3, 0.2], "expected": []})
    assert len(find(svg, "polyline")) == 1 and find(student_line(svg), "polyline")
    assert summary(svg) == "No iteration to compare" and not find(svg, "g", **{"class": "leave"})


def test_log_scale_with_decade_ticks_when_values_span_decades():
    values = [10.0 ** -k for k in range(6)]
    svg = chart({"got": values, "expected": values})
    assert "E_total (log scale)" in [text(t) for t in find(svg, "text")]
    assert labels(svg, "yaxis") == ["1e-5", "1e-4", "0.001", "0.01", "0.1", "1"]
    ys = [y for _, y in points(find(group(svg, "expected"), "polyline")[0])]
    steps = [b - a for a, b in zip(ys, ys[1:])]
    assert max(steps) - min(steps) < 0.2  # evenly spaced decades
    tick_ys = [float(t.get("y")) for t in find(group(svg, "yaxis"), "text")]
    assert [round(a - b, 1) for a, b in zip(ys, reversed(tick_ys))] == [-3.5] * 6  # each value on its tick


@pytest.mark.parametrize("odd", [0.0, -1e-3])
def test_a_zero_or_a_negative_value_falls_back_to_a_linear_axis(odd):
    values = [10.0 ** -k for k in range(6)] + [odd]
    svg = chart({"got": values, "expected": values})
    texts = [text(t) for t in find(svg, "text")]
    assert "E_total" in texts and "E_total (log scale)" not in texts
    ticks = labels(svg, "yaxis")
    assert "0" in ticks and not any("e" in t for t in ticks) and len(ticks) in range(3, 7)
    ys = [y for _, y in points(find(group(svg, "expected"), "polyline")[0])]
    for v, y in zip(values, ys):  # y is linear in the value
        assert y == pytest.approx(ys[0] + (ys[-1] - ys[0]) * (v - values[0]) / (values[-1] - values[0]), abs=0.1)


def test_the_iteration_axis_counts_iterations_not_sheet_rows():
    svg = chart(table()["curve"], first_row=500, last_row=545)
    assert labels(svg, "xaxis") == ["1", "10", "20", "30", "40"]
    assert "iteration (1 = row 500)" in [text(t) for t in find(svg, "text")]
    xs = [x for x, _ in points(find(group(svg, "expected"), "polyline")[0])]
    for k in (1, 10, 20, 30, 40):  # the tick of iteration k stands over the k-th value
        assert tick_x(svg, str(k)) == pytest.approx(xs[k - 1], abs=0.06)
    assert labels(chart({"got": [0.3, 0.2, 0.1], "expected": [0.3, 0.2, 0.1]}), "xaxis") == ["1", "2", "3"]
    assert labels(chart({"got": [0.3] * 260, "expected": [0.3] * 260}), "xaxis") == ["1", "100", "200"]


def test_the_marker_is_at_the_first_iteration_where_the_file_leaves_the_correct_curve():
    expected = [0.25 * 0.97 ** i for i in range(46)]
    # rounding noise (1e-14) for six iterations, then off by 1e-6 and more from iteration 7 (row 39)
    got = [v * (1 + 1e-14) if i < 6 else v * (1 + 1e-6 * (i - 5)) for i, v in enumerate(expected)]
    svg = chart({"got": got, "expected": expected})
    leave = group(svg, "leave")
    assert (leave.get("data-iteration"), leave.get("data-row")) == ("7", "39")
    assert summary(svg) == "Leaves the correct curve at iteration 7 (row 39)"
    marker = find(leave, "line")[0]
    xs = [x for x, _ in points(find(group(svg, "expected"), "polyline")[0])]
    assert float(marker.get("x1")) == pytest.approx(xs[6], abs=0.06)
    assert float(marker.get("x1")) == pytest.approx(LEFT + (W - LEFT - RIGHT) * 6 / 45, abs=0.06)
    tolerance = float(find(svg, "line", **{"class": "tolerance"})[0].get("y1"))
    diff = points(find(group(svg, "diff"), "polyline")[0])
    assert all(y > tolerance for _, y in diff[:6]) and all(y < tolerance for _, y in diff[6:])
    same = chart({"got": expected, "expected": expected}, verdict="right")
    assert not find(same, "g", **{"class": "leave"})
    assert summary(same) == "Within 1e-12 of the correct curve at every iteration"
    assert summary(chart(table()["curve"])) == "Leaves the correct curve at iteration 2 (row 34)"


def test_a_file_that_keeps_ten_digits_is_held_to_ten_digits():
    expected = [0.25 * 0.97 ** i for i in range(46)]
    rounded = [float(f"{v:.10g}") for v in expected]  # as some spreadsheet programs save them
    svg = chart({"got": rounded, "expected": expected}, verdict="right")
    assert summary(svg) == "Within 1e-9 of the correct curve at every iteration"
    assert "off by > 1e-9 (10 digits stored)" in labels(svg, "legend")
    rounded[20] = float(f"{expected[20] * (1 + 1e-7):.10g}")
    assert group(chart({"got": rounded, "expected": expected}), "leave").get("data-iteration") == "21"


def test_curves_of_different_lengths_share_one_axis():
    expected = [0.25 * 0.97 ** i for i in range(46)]
    svg = chart({"got": expected[:20], "expected": expected})
    assert labels(svg, "xaxis") == ["1", "10", "20", "30", "40"]
    assert summary(svg) == "Within 1e-12 at every iteration with a number (20 of 46)"
    got_x = [x for x, _ in points(find(student_line(svg), "polyline")[0])]
    assert got_x[-1] == pytest.approx(tick_x(svg, "20"), abs=0.06)  # the file stops at iteration 20


HOSTILE = [
    {"got": [None, float("nan"), float("inf"), -float("inf"), "#VALUE!", True, 0.25, 0.2],
     "expected": [0.3, 0.25, 0.2, 0.15, 0.1, 0.05, 0.25, 0.2]},
    {"got": [1e308, -1e308, 1e308], "expected": [-1e308, 1e308, 5e-324]},
    {"got": [5e-324, 1e-320, 0.0], "expected": [0.0, 0.0, 0.0]},
    {"got": [10 ** 400, 3, -2], "expected": [1, 2, 3]},
    {"got": [0.25], "expected": [0.25, 0.24, 0.23, 0.22]},
    {"got": [0.25] * 5, "expected": [0.25] * 5},
    {"got": [0.25], "expected": [0.25]},
    {"got": [-1.0, -2.0, -3.0], "expected": [-1.0, -2.0, -4.0]},
    {"got": [1e-300, 1e300], "expected": [1e300, 1e-300]},
    {"got": [0.0, 0.0], "expected": [0.0, 1e-300]},
    {"got": "0.3, 0.2", "expected": [0.1, 0.2]},
    {"got": [0.1, 0.2], "expected": {"a": 1}},
]


@pytest.mark.parametrize("curve", HOSTILE)
def test_no_nan_or_infinity_reaches_the_coordinates(curve):
    svg = chart(curve)
    coordinates = []
    for e in svg.iter():
        for name in ("x", "x1", "x2", "cx", "width"):
            if e.get(name) is not None:
                coordinates.append((float(e.get(name)), W))
        for name in ("y", "y1", "y2", "cy", "height"):
            if e.get(name) is not None:
                coordinates.append((float(e.get(name)), H))
        if e.get("points"):
            coordinates += [(v, bound) for p in points(e) for v, bound in zip(p, (W, H))]
        if e.get("transform"):
            coordinates += [(float(v), H) for v in re.findall(r"-?[\d.]+", e.get("transform"))[1:]]
    assert coordinates and all(math.isfinite(v) and 0 <= v <= bound for v, bound in coordinates)
    drawn = [find(group(svg, css), "polyline") + find(group(svg, css), "circle") for css in ("expected", "got")]
    assert any(drawn)


def test_a_flat_curve_and_a_single_point_stay_inside_the_chart():
    for curve in ({"got": [0.25] * 5, "expected": [0.25] * 5}, {"got": [0.25], "expected": [0.25]}):
        svg = chart(curve)
        for shape in find(svg, "polyline") + find(svg, "circle"):
            xs = shape.get("points", f"{shape.get('cx')},{shape.get('cy')}").split()
            assert all(0 <= float(v) <= W for p in xs for v in p.split(","))
        assert labels(svg, "yaxis") == ["0.1", "0.2", "0.3", "0.4"]  # 0.25 in the middle
    assert labels(svg, "xaxis") == ["1"]
    (dot,) = find(student_line(svg), "circle")
    assert float(dot.get("cx")) == pytest.approx(LEFT + (W - LEFT - RIGHT) / 2)


def test_long_curves_are_thinned_to_a_few_points_per_pixel():
    values = [1 / (1 + i) + 0.001 * (i % 7) for i in range(100_000)]
    page = render([result(tables=[table(curve={"got": values, "expected": values})])])
    got = find(student_line(find(parse(page), "svg")[0]), "polyline")[0]
    assert len(got.get("points").split()) <= 4 * (W - LEFT - RIGHT) and len(page) < 100_000


def test_a_million_iterations_make_a_small_page_that_still_shows_where_the_file_leaves():
    n, off = 1_000_000, 777_777
    expected = [0.25 / (1 + 1e-5 * i) for i in range(n)]
    got = expected[:off] + [v * (1 + 1e-6) for v in expected[off:]]
    page = render([result(tables=[table(curve={"got": got, "expected": expected})])])
    assert len(page) < 60_000
    svg = find(parse(page), "svg")[0]
    assert all(len(points(line)) <= 4 * (W - LEFT - RIGHT) for line in find(svg, "polyline"))
    assert labels(svg, "xaxis") == ["1", "250,000", "500,000", "750,000", "1,000,000"]
    assert group(svg, "leave").get("data-iteration") == "777778"
    assert summary(svg) == "Leaves the correct curve at iteration 777,778 (row 777810)"
    x = float(find(group(svg, "leave"), "line")[0].get("x1"))
    assert x == pytest.approx(LEFT + (W - LEFT - RIGHT) * off / (n - 1), abs=0.06)
    tolerance = float(find(svg, "line", **{"class": "tolerance"})[0].get("y1"))
    diff = [p for line in find(group(svg, "diff"), "polyline") for p in points(line)]
    assert all(y > tolerance for px, y in diff if px < x - 1) and all(y < tolerance for px, y in diff if px > x + 1)


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


def test_a_tables_notes_are_on_the_page_as_in_the_text():
    """How the table was read (a target where the loss reads it, labels that are not the
    contract's) is on the page too, escaped, and a table without notes has no list of them."""
    noted = table(notes=["cell E2 is labelled i2 but holds the target the loss uses: read as t2", EVIL[0]])
    root = parse(render([result(tables=[noted]), result(tables=[table()])]))
    lists = find(root, "ul", **{"class": "notes"})
    assert len(lists) == 1
    assert [text(li) for li in lists[0].findall("li")] == list(noted["notes"])
