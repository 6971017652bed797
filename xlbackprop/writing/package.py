"""The zip of a workbook: one fixed timestamp, Excel's namespace prefixes, every stored value.

openpyxl hands each part to :class:`Package` as it writes; the package keeps the bytes of equal
specs equal (one timestamp for every member), writes the drawing and chart parts with Excel's
``xdr:``/``a:``/``c:`` prefixes (:func:`prefixed`), and fills each formula's stored value into
the worksheet parts from their :class:`~xlbackprop.writing.stored.Values` (``values``).
"""

from __future__ import annotations

import io
import os
import re
import shutil
import zipfile
from typing import Callable

from lxml import etree
from zlib_ng import zlib_ng

from ..core import outputs
from . import stored

ZIP_TIME = (2024, 2, 9, 0, 0, 0)  # the seed lecture's date

# Excel names these namespaces by prefix in its drawing and chart parts; Gnumeric drops charts whose
# drawing declares them as the default namespace, and ExcelJS cannot load such a file at all
PREFIXES = {"http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing": "xdr",
            "http://schemas.openxmlformats.org/drawingml/2006/main": "a",
            "http://schemas.openxmlformats.org/drawingml/2006/chart": "c",
            "http://schemas.openxmlformats.org/officeDocument/2006/relationships": "r"}
PREFIXED_PARTS = re.compile(r"xl/(drawings/drawing|charts/chart)\d+\.xml")


def prefixed(xml: bytes) -> bytes:
    """The same XML with the drawing namespaces written as Excel writes them, ``xdr:``, ``a:``, ``c:``::

        <wsDr xmlns="...spreadsheetDrawing"><twoCellAnchor> -> <xdr:wsDr xmlns:xdr="..."><xdr:twoCellAnchor>
    """
    source = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True))
    used = {el.tag.split("}")[0][1:] for el in source.iter() if isinstance(el.tag, str)} | \
        {a.split("}")[0][1:] for el in source.iter() if isinstance(el.tag, str) for a in el.attrib if a[0] == "{"}
    nsmap = {prefix: ns for ns, prefix in PREFIXES.items() if ns in used}

    def copy(el, parent):
        new = etree.Element(el.tag, nsmap=nsmap) if parent is None else etree.SubElement(parent, el.tag)
        for key, value in el.attrib.items():
            new.set(key, value)
        new.text, new.tail = el.text, el.tail
        for child in el:
            if isinstance(child.tag, str):
                copy(child, new)
        return new

    return etree.tostring(copy(source, None), xml_declaration=True, encoding="UTF-8", standalone=True)


def zlib_ng_deflating(stream):
    """``stream``, a member ``zipfile`` opened to write deflated, deflating by zlib-ng at zlib's default
    level, 6, from now on: the same format as the standard library's zlib, which ``zipfile`` uses, and a
    smaller part in about 60 % of its time (the build's largest cost: docs/performance.md).
    ``zipfile`` keeps a member's compressor in ``_compressor`` (CPython 3.11 and on); a Python where
    it does not is left with its own zlib (the same parts, zipped more slowly)."""
    if getattr(stream, "_compressor", None) is not None:
        stream._compressor = zlib_ng.compressobj(zlib_ng.Z_DEFAULT_COMPRESSION, zlib_ng.DEFLATED, -15)
    return stream


class Package(zipfile.ZipFile):
    """A zip whose members all carry one fixed timestamp, so equal specs give equal bytes; drawing
    and chart parts are written with Excel's namespace prefixes (:func:`prefixed`)."""

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
            zinfo_or_arcname = self._info(zinfo_or_arcname)
        if zinfo_or_arcname.filename == outputs.CUSTOM_PART and self._custom is None:
            self._custom = data.encode("utf-8") if isinstance(data, str) else data  # stamped last
            return
        if PREFIXED_PARTS.fullmatch(zinfo_or_arcname.filename):
            data = prefixed(data.encode("utf-8") if isinstance(data, str) else data)
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def __init__(self, *args, values: dict[str, Callable[[], stored.Values]] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.values = values or {}  # worksheet part -> how to get its stored values
        self._later: list[tuple[str, bytes]] = []
        self._custom: bytes | None = None  # the custom properties part, written last with the stamp

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        """A worksheet part from openpyxl's spool file, each formula's stored value filled in; a
        part whose values are :class:`stored.Later` is kept until :meth:`write_later`."""
        name = arcname or os.path.basename(filename)
        if isinstance(self.values.get(name), stored.Later):
            with open(filename, "rb") as src:
                self._later.append((name, src.read()))
            return
        with open(filename, "rb") as src:
            self._write_part(name, src)

    def write_later(self) -> None:
        """The parts :meth:`write` kept back, now that every other part is written; then the custom
        properties, whose :data:`~xlbackprop.core.outputs.PROPERTY` is stamped with the digest of all
        the others (:func:`xlbackprop.core.outputs.stamp`: how build knows its own unchanged output)."""
        for name, data in self._later:
            self._write_part(name, io.BytesIO(data))
        self._later = []
        if self._custom is not None:
            placeholder = outputs.PLACEHOLDER.encode()
            if self._custom.count(placeholder) != 1:
                raise AssertionError("the custom properties part lost its placeholder")
            data = self._custom.replace(placeholder, outputs.stamp(self.infolist()).encode())
            self._custom = None
            super().writestr(self._info(outputs.CUSTOM_PART), data)

    def open(self, name, mode="r", pwd=None, *, force_zip64=False):
        """A member as :class:`zipfile.ZipFile` opens it; one written is deflated by zlib-ng
        (:func:`zlib_ng_deflating`)."""
        stream = super().open(name, mode, pwd, force_zip64=force_zip64)
        return zlib_ng_deflating(stream) if mode == "w" and self.compression == zipfile.ZIP_DEFLATED else stream

    def _write_part(self, name: str, src) -> None:
        with self.open(self._info(name), "w", force_zip64=True) as dst:
            if name in self.values:
                stored.fill(src, dst, self.values.pop(name)())  # the sheet's reference run lives this long
            else:
                shutil.copyfileobj(src, dst, 1 << 20)

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
        info.compress_type = self.compression
        info.external_attr = 0o600 << 16
        return info
