"""The ready-made workbooks in docs/examples/ are what a build writes today, byte for byte.

When they differ, the failure shows how, as XlsxWriter's comparison tests do: the members one
package has and the other lacks, then a diff of the first differing member with its XML
normalised (one element a line, attributes sorted), so that a changed cell reads as a changed
line rather than a megabyte of bytes.
"""

import difflib
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from xlbackprop.writing.examples import EXAMPLES, write

FOLDER = Path(__file__).parent.parent / "docs" / "examples"
SHOWN = 40  # lines of the diff shown


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    return {p.name: p for p in write(tmp_path_factory.mktemp("examples"))}


def normalised(data: bytes) -> list[str]:
    """An XML part as lines: each element on its own line, its attributes sorted; other parts as they are."""
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    except etree.XMLSyntaxError:
        return data.decode("utf-8", "replace").splitlines()
    for element in root.iter():
        if isinstance(element.tag, str):
            attributes = sorted(element.attrib.items())
            element.attrib.clear()
            element.attrib.update(attributes)
        if element.text is not None and not element.text.strip():
            element.text = None
        element.tail = None
    return etree.tostring(root, pretty_print=True, encoding="unicode").splitlines()


def difference(ours: Path, theirs: Path) -> str:
    """How package ``theirs`` (the fresh build) differs from ``ours`` (the one in docs/examples)."""
    with zipfile.ZipFile(ours) as a, zipfile.ZipFile(theirs) as b:
        names_a, names_b = a.namelist(), b.namelist()
        lines = [f"only in {ours.name} of docs/examples: {n}" for n in names_a if n not in names_b]
        lines += [f"only in the fresh build: {n}" for n in names_b if n not in names_a]
        if names_a != names_b and not lines:
            lines.append("the same members in another order")
        for name in (n for n in names_a if n in names_b):
            old, new = a.read(name), b.read(name)
            if old != new:
                diff = list(difflib.unified_diff(normalised(old), normalised(new), f"docs/examples: {name}",
                                                 f"fresh build: {name}", n=2, lineterm=""))
                lines += diff[:SHOWN] + ([f"... {len(diff) - SHOWN} more lines"] if len(diff) > SHOWN else [])
                break
    return "\n".join(lines) or "the members are equal; the zip's own bytes (times, order, comment) differ"


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_is_current(fresh, name):
    ours, theirs = FOLDER / name, fresh[name]
    if ours.read_bytes() != theirs.read_bytes():
        pytest.fail(f"docs/examples/{name} is stale: run python -m xlbackprop.writing.examples docs/examples\n"
                    + difference(ours, theirs), pytrace=False)


def test_a_stale_example_is_shown_as_a_diff_of_its_xml(fresh, tmp_path):
    """The diff names the part and the changed cell."""
    stale = tmp_path / "stale.xlsx"
    with zipfile.ZipFile(fresh["mazur.xlsx"]) as z, zipfile.ZipFile(stale, "w", zipfile.ZIP_DEFLATED) as out:
        for item in z.infolist():
            data = z.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"<f>B16-eta*", b"<f>B16+eta*", 1)
            out.writestr(item, data)
    shown = difference(stale, fresh["mazur.xlsx"])
    assert "docs/examples: xl/worksheets/sheet1.xml" in shown
    assert "-" in shown and "<f>B16-eta*" in shown and "<f>B16+eta*" in shown


def test_readme_links_every_example():
    readme = (FOLDER.parent.parent / "README.md").read_text(encoding="utf-8")
    for name in EXAMPLES:
        assert f"docs/examples/{name}" in readme, name
