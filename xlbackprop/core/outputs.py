"""Where a command may write: never over one of its inputs, a file of another kind, or a workbook
a user edited, and always under a temporary name renamed at the end.

    report_target("report", Path("r.html"), ".html", inputs, is_report)  # raises OutputError, or returns
    workbook_target(Path("output/backprop.xlsx"), force=False)          # raises OutputError, or returns
    stamp(infos) -> "sha256:..."                                         # what own_unchanged() compares

**Reports** (``check --html``, and any later report option) must end in their own suffix, may not
be one of the inputs, and may replace only an earlier report of their kind. So
``check --html sub/*.xlsx``, whose shell hands ``--html`` the first submission, is refused before
anything is read or written.

**Workbooks.** Every workbook xlbackprop writes carries, in the custom document property
:data:`PROPERTY`, a digest of its other zip members (name, CRC-32 and size of each, from the zip's
directory). A file whose members still match it is xlbackprop's own unchanged output and may be
replaced; a file that Excel, LibreOffice or anyone re-saved (they rewrite every member and drop or
keep a stale digest), edited, or that is no xlbackprop workbook at all, is replaced only with
``--force``.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
import zlib
from pathlib import Path
from typing import Callable, Iterable

from .errors import OutputError

PROPERTY = "xlbackprop parts"  # the custom document property holding the digest
CUSTOM_PART = "docProps/custom.xml"
PLACEHOLDER = "sha256:" + "0" * 64  # what the digest replaces when the package is closed
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".xlsb", ".numbers")


def stamp(members: Iterable[zipfile.ZipInfo]) -> str:
    """The digest of a package's members other than :data:`CUSTOM_PART`: name, CRC-32 and size."""
    digest = hashlib.sha256()
    for info in members:
        if info.filename != CUSTOM_PART:
            digest.update(f"{info.filename}\t{info.CRC:08x}\t{info.file_size}\n".encode("utf-8"))
    return "sha256:" + digest.hexdigest()


_STAMPED = re.compile(rb'name="' + re.escape(PROPERTY.encode()) + rb'"[^>]*>\s*<(?:\w+:)?lpwstr[^>]*>(sha256:[0-9a-f]{64})<')
_APPLICATION = re.compile(rb"<(?:\w+:)?Application>([^<]{1,200})</(?:\w+:)?Application>")


def own_unchanged(path: Path) -> str | None:
    """None when ``path`` is a workbook xlbackprop wrote and nobody changed since; otherwise why
    not, in words that follow the file's name ("was saved by Microsoft Excel")."""
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = {i.filename for i in infos}
            custom = archive.read(CUSTOM_PART) if CUSTOM_PART in names else b""
            app = archive.read("docProps/app.xml")[:4096] if "docProps/app.xml" in names else b""
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError, ValueError, RuntimeError,
            NotImplementedError):
        return "is not an .xlsx workbook xlbackprop wrote (it is not a readable zip package)"
    found = _STAMPED.search(custom)
    if found is not None and found.group(1).decode() == stamp(infos):
        return None
    program = _APPLICATION.search(app)
    name = program.group(1).decode("utf-8", "replace").strip() if program else ""
    if name and "openpyxl" not in name.lower():
        return f"was saved by {name.split('/')[0].strip()}"
    if found is not None:
        return "was changed since xlbackprop wrote it"
    return "is not a workbook this xlbackprop wrote (it carries no xlbackprop stamp)"


def workbook_target(path: Path, force: bool = False) -> None:
    """Refuse to replace ``path`` unless it is absent, xlbackprop's own unchanged output, or ``force``."""
    if force or not path.exists() or path.is_dir():
        return
    why = own_unchanged(path)
    if why is not None:
        raise OutputError("path", f"{path} {why}; not replacing it, so that no edit is lost: give --force "
                          f"(force=True in Python) to replace it, or another -o")


def report_target(field: str, path: Path, suffix: str, inputs: Iterable[Path],
                  is_report: Callable[[Path], bool]) -> None:
    """Refuse a report path that is not ``*suffix``, is one of ``inputs``, or is an existing file
    that ``is_report`` does not recognise; and one whose folder cannot be written."""
    if path.suffix.lower() in SPREADSHEET_SUFFIXES and path.suffix.lower() != suffix:  # a gradebook is .csv
        raise OutputError(field, f"{path} is a spreadsheet, not a report name; the report's name must end in "
                          f"{suffix} (no file was read or written)")
    if path.suffix.lower() != suffix:
        raise OutputError(field, f"{path} must end in {suffix}; try {path.with_suffix(suffix)}")
    for given in inputs:
        if _same(path, given):
            raise OutputError(field, f"{path} is also one of the files given; the {field} must go elsewhere")
    if path.is_dir():
        raise OutputError(field, f"{path} is a folder; give a file name such as {path / ('report' + suffix)}")
    if path.exists() and not is_report(path):
        raise OutputError(field, f"{path} exists and is not a report xlbackprop wrote; not replacing it "
                          f"(choose another name, or move it away)")
    writable(field, path)


def writable(field: str, path: Path) -> None:
    """Refuse, before any work, a file whose folder does not exist and cannot be made, or cannot be written."""
    folder = path.parent
    existing = next((p for p in (folder, *folder.parents) if p.exists()), Path("."))
    if not existing.is_dir():
        raise OutputError(field, f"cannot write {path}: {existing} is not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise OutputError(field, f"cannot write {path}: the folder {existing} is read-only")


def _same(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def written_error(field: str, path: Path, exc: OSError) -> OutputError:
    """The one line for an output that could not be written (a read-only folder, a full disk)."""
    return OutputError(field, f"cannot write {path}: {exc.strerror or exc}")


def write_whole(field: str, path: Path, text: str) -> Path:
    """Write a report (a page, a gradebook, results.json) under a temporary name and rename it,
    so no half file is left; a folder that cannot be written or a full disk is
    :class:`~xlbackprop.core.errors.OutputError` of ``field``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(text.encode("utf-8"))
        os.replace(tmp, path)
    except OSError as exc:
        raise written_error(field, path, exc) from None
    finally:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
    return path


def is_page(path: Path, mark: str) -> bool:
    """Whether ``path`` is an HTML page of ours: it begins with the doctype and ``mark`` (its title)."""
    try:
        with open(path, "rb") as page:
            start = page.read(2048)
    except OSError:
        return False
    return start.startswith(b"<!DOCTYPE html>") and mark.encode() in start
