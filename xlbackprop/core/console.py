"""What the command line prints works on any console: UTF-8, Windows' cp1252, plain ASCII.

A console that cannot show a character gets readable ASCII in its place (``∂E/∂w3`` becomes
``dE/dw3``, ``η`` becomes ``eta``) instead of a ``UnicodeEncodeError``; that is the error handler
:data:`ERRORS`, which :func:`setup` puts on standard output and standard error. JSON is written
as UTF-8 bytes whatever the console's encoding (:func:`write_utf8`), as JSON's RFC 8259 asks.

    >>> "∂E/∂w3, η = 0.5 → δ".encode("cp1252", errors=ERRORS)
    b'dE/dw3, eta = 0.5 -> delta'
"""

from __future__ import annotations

import codecs
import sys
import unicodedata

ERRORS = "xlbackprop-ascii"

# the characters xlbackprop's own words use, as a reader of ASCII would write them
ASCII = {"∂": "d", "η": "eta", "δ": "delta", "σ": "sigma", "Σ": "sum", "→": "->", "←": "<-", "↔": "<->",
         "−": "-", "–": "-", "—": "-", "×": "x", "·": "*", "½": "1/2", "…": "...", "≤": "<=", "≥": ">=",
         "≈": "~", "≠": "!=", "²": "^2", "³": "^3", "ᵗ": "^t", "α": "alpha", "β": "beta", "ε": "epsilon",
         "μ": "mu", "′": "'", "‘": "'", "’": "'", "“": '"', "”": '"', "•": "*", "✓": "ok", "✗": "x"}


def ascii_for(char: str) -> str:
    """Readable ASCII for one character: ours by name, accented letters without the accent, else ``?``."""
    if char in ASCII:
        return ASCII[char]
    plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore").decode("ascii")
    return plain or "?"


def _replace(error: UnicodeError) -> tuple[str, int]:
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return "".join(ascii_for(c) for c in error.object[error.start:error.end]), error.end


codecs.register_error(ERRORS, _replace)


def setup() -> None:
    """Standard output and error fall back to ASCII where their encoding lacks a character."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors=ERRORS)
            except (ValueError, OSError):  # a closed or unusual stream: leave it as it is
                pass


def write_utf8(text: str) -> None:
    """``text`` on standard output as UTF-8 bytes, whatever the console's encoding."""
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a stream without bytes below it (some test runners): text is all it takes
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    sys.stdout.flush()
    buffer.write(text.encode("utf-8", errors="replace"))  # a file name's undecodable bytes: ?
    buffer.flush()
