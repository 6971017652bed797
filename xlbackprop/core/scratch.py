"""Temporary folders that Ctrl-C cannot leave half made or half removed.

Ctrl-C (KeyboardInterrupt, or a check worker's SIGTERM) lands between any two steps of Python.
Landing inside ``shutil.rmtree`` leaves half a folder; landing between starting an engine and
noting it leaves an engine nobody stops. :func:`deferred` holds such a signal back over a few
steps and delivers it right after them, to the handler it was meant for; :func:`folder` makes and
removes its folder under it, and waits out an engine that still writes into the folder as it dies.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator

HELD = tuple(s for s in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None)) if s is not None)
_depth = 0  # deferred() sections open in the main thread
_pending: list[int] = []  # signals that arrived inside them, in order


def _note(signum, frame) -> None:
    if signum not in _pending:
        _pending.append(signum)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Run the block whole: Ctrl-C or SIGTERM arriving inside it is handled right after it.

    Signals reach only the main thread, so elsewhere this does nothing (nothing can cut in)."""
    global _depth
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {}
    if _depth == 0:
        before = {s: signal.signal(s, _note) for s in HELD}
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            for s, handler in before.items():  # None: a handler not set from Python, restored as the default
                signal.signal(s, signal.SIG_DFL if handler is None else handler)
            arrived = list(_pending)
            _pending.clear()
            for s in arrived:  # to the handler it was meant for, now that the block is whole
                signal.raise_signal(s)


def remove(path: str | Path, seconds: float = 5.0) -> None:
    """Remove the folder and all in it. A dying engine may still add a file as it is removed, so
    try again for up to ``seconds``."""
    deadline = time.monotonic() + seconds
    with deferred():
        while True:
            try:
                shutil.rmtree(path)
                return
            except FileNotFoundError:
                return
            except OSError:
                if time.monotonic() > deadline:
                    shutil.rmtree(path, ignore_errors=True)
                    return
                time.sleep(0.05)


@contextlib.contextmanager
def folder(prefix: str) -> Iterator[str]:
    """A new temporary folder (in TMPDIR), removed with all in it when the block ends, however it ends."""
    path = None
    try:
        with deferred():  # a Ctrl-C held back here arrives once path is set, so the folder goes too
            path = tempfile.mkdtemp(prefix=prefix)
        yield path
    finally:
        if path is not None:
            remove(path)
