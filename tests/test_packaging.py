"""What `pip install .` puts in site-packages: every subpackage of xlbackprop (a non-editable
install once lacked xlbackprop.check, so `xlbackprop build` failed on its first import)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_pyproject_lists_every_subpackage():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "xlbackprop").rglob("__init__.py")}
    assert found <= listed, f"pyproject.toml's [tool.setuptools] packages lacks {sorted(found - listed)}"
    assert "xlbackprop.templates" in listed
