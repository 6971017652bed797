"""The ready-made workbooks in docs/examples/ are what a build writes today, byte for byte."""

from pathlib import Path

import pytest

from xlbackprop.writing.examples import EXAMPLES, write

FOLDER = Path(__file__).parent.parent / "docs" / "examples"


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    return {p.name: p for p in write(tmp_path_factory.mktemp("examples"))}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_is_current(fresh, name):
    assert (FOLDER / name).read_bytes() == fresh[name].read_bytes(), \
        f"docs/examples/{name} is stale: run python -m xlbackprop.writing.examples docs/examples"


def test_readme_links_every_example():
    readme = (FOLDER.parent.parent / "README.md").read_text(encoding="utf-8")
    for name in EXAMPLES:
        assert f"docs/examples/{name}" in readme, name
