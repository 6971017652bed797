"""The guards every read of an untrusted workbook passes first, and the limits of what is read.

A file is untrusted until read: it must exist and be a zip package, and a zip bomb (a part packed
tighter than 200:1, or more than 32 GiB in all) or XML declaring a document type or entities is
refused before anything, LibreOffice included, unpacks it (:func:`guard`). What reading a
damaged package raises is :data:`DAMAGED`, which every reader turns into one line
(:func:`damaged`). openpyxl parses XML with defusedxml, which xlbackprop requires.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

from ..core.errors import WorkbookError

MAX_UNPACKED = 32 * 2**30
MAX_PACKED_RATIO, MAX_PACKED_RATIO_FROM = 200, 2**20  # parts over 1 MiB packed tighter than 200:1 are refused
PROLOG_BYTES = 4096  # a DOCTYPE can only stand before the root element
# the cells one sheet may hold, by who reads it: verify holds whole runs (about 2 GB in memory at 20
# million: 100,000 iterations of 200 columns); check reads hand-made sheets, far smaller
MAX_CELLS_VERIFY = 20_000_000
MAX_CELLS_CHECK = 2_000_000
# what reading a damaged package raises: a bad zip directory, corrupt or cut-off deflate data, a CRC
# that does not match, XML that does not parse (lxml's errors are SyntaxErrors), text that is not UTF-8
DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, KeyError, RuntimeError,
           NotImplementedError, SyntaxError, struct.error)


def guard(path: Path) -> None:
    """The guards every read of an untrusted file passes first: it exists, it is a zip package,
    and the package is no zip bomb and declares no document type (:func:`inspect_package`)."""
    if not path.exists():
        raise WorkbookError(f"{path}: no such file")
    if not zipfile.is_zipfile(path):
        raise WorkbookError(f"{path}: not an .xlsx file (it is not a zip package)")
    inspect_package(path)


def inspect_package(path: Path) -> None:
    """Refuse a zip bomb or XML with a document type (entity tricks) before anything, LibreOffice
    included, unpacks the file. Our sheets compress about 7:1 and a full-height workbook with a
    sweep unpacks to some 10 GB; a bomb packs 1000:1 and more. No part of an .xlsx has a DOCTYPE."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            for member in members:
                ratio = member.file_size / max(member.compress_size, 1)
                if member.file_size > MAX_PACKED_RATIO_FROM and ratio > MAX_PACKED_RATIO:
                    raise WorkbookError(f"{path}: part {member.filename} would unpack {ratio:,.0f} times its packed "
                                        f"size ({member.file_size:,} bytes); refusing what looks like a zip bomb")
                if member.filename.endswith((".xml", ".rels")):
                    with archive.open(member) as part:
                        prolog = part.read(PROLOG_BYTES)
                    if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog:
                        raise WorkbookError(f"{path}: part {member.filename} declares a document type or entities, "
                                            f"which no .xlsx has; refusing it")
    except WorkbookError:
        raise
    except DAMAGED as exc:
        raise damaged(path, exc) from None
    total = sum(m.file_size for m in members)
    if total > MAX_UNPACKED:
        raise WorkbookError(f"{path}: would unpack to {total / 2**30:,.1f} GiB, more than the "
                            f"{MAX_UNPACKED / 2**30:.0f} GiB any xlbackprop workbook needs")


def damage(exc: BaseException) -> str:
    """What is wrong with a damaged package, in a few words: ``Error -3 while decompressing data``."""
    words = str(exc).strip() or type(exc).__name__
    return words if len(words) <= 160 else words[:157] + "..."


def damaged(path: Path, exc: BaseException) -> WorkbookError:
    """The one line for a package that cannot be read: ``anna.xlsx: not a readable .xlsx file, it is
    damaged (Error -3 while decompressing data)``."""
    return WorkbookError(f"{path}: not a readable .xlsx file, it is damaged ({damage(exc)})")
