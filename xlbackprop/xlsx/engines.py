"""Recalculate a workbook in LibreOffice (or Gnumeric), headless: the one module that starts them.

LibreOffice trusts the cached values a file carries unless told otherwise, and a file a user
edited and saved holds stale ones. So each run gets a private profile, in a temporary folder,
whose settings say "always recalculate" on load, and converts the file to a fresh .xlsx whose
cached values are LibreOffice's own::

    soffice -env:UserInstallation=file:///tmp/xlbackprop-XXXX/profile --headless --norestore
            --convert-to 'xlsx:Calc MS Excel 2007 XML' --outdir /tmp/xlbackprop-XXXX/out book.xlsx

``soffice`` exits 0 even when it failed, so success is the output file existing and not empty.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from ..core import scratch
from ..core.errors import EngineError

INSTALL_HINT = ("install it: apt-get install -y libreoffice-calc-nogui (Debian, Ubuntu), "
                "brew install --cask libreoffice (macOS), winget install TheDocumentFoundation.LibreOffice "
                "(Windows), or from libreoffice.org")
# where the installers put soffice when it is not on the PATH
KNOWN_PLACES = ("/Applications/LibreOffice.app/Contents/MacOS/soffice",
                r"C:\Program Files\LibreOffice\program\soffice.exe",
                r"C:\Program Files (x86)\LibreOffice\program\soffice.exe")
GNUMERIC_HINT = "install it with: apt-get install -y gnumeric"

_ALWAYS_RECALCULATE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""


def soffice() -> str:
    """Path of the ``soffice`` program, or :class:`EngineError` saying how to install it."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for place in KNOWN_PLACES:
        if os.path.isfile(place):
            return place
    raise EngineError(f"LibreOffice (soffice) is not installed; {INSTALL_HINT}")


def version() -> str:
    """``"LibreOffice 7.4.7.2 40(Build:2)"``, as soffice reports itself."""
    out = subprocess.run([soffice(), "--version"], capture_output=True, text=True, timeout=60)
    return out.stdout.strip() or "LibreOffice (unknown version)"


def convert(src: str | Path, out_dir: str | Path, to: str = "xlsx:Calc MS Excel 2007 XML",
            timeout: float = 900) -> Path:
    """Recalculate ``src`` and save it as ``to`` in ``out_dir``; return the new file."""
    return convert_all([src], out_dir, to, timeout)[0]


def convert_all(sources: list[str | Path], out_dir: str | Path, to: str = "xlsx:Calc MS Excel 2007 XML",
                timeout: float = 900) -> list[Path]:
    """Recalculate several files in one LibreOffice run (it starts once: seconds saved a file)."""
    sources, out_dir = [Path(s).resolve() for s in sources], Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with scratch.folder("xlbackprop-lo-") as profile:
        settings = Path(profile, "user")
        settings.mkdir()
        (settings / "registrymodifications.xcu").write_text(_ALWAYS_RECALCULATE, encoding="utf-8")
        command = [soffice(), f"-env:UserInstallation={Path(profile).as_uri()}", "--headless",
                   "--norestore", "--nologo", "--nodefault", "--nolockcheck",
                   "--convert-to", to, "--outdir", str(out_dir), *map(str, sources)]
        _run(command, timeout)
    produced = [out_dir / (src.stem + "." + to.split(":")[0]) for src in sources]
    for src, out in zip(sources, produced):
        if not out.exists() or out.stat().st_size == 0:
            raise EngineError(f"LibreOffice did not recalculate {src.name} (it produced no output)")
    return produced


def ssconvert() -> str:
    """Path of Gnumeric's ``ssconvert``, or :class:`EngineError` saying how to install it."""
    found = shutil.which("ssconvert")
    if not found:
        raise EngineError(f"Gnumeric (ssconvert) is not installed; {GNUMERIC_HINT}")
    return found


def gnumeric_version() -> str:
    """``"Gnumeric 1.12.55"``."""
    out = subprocess.run([ssconvert(), "--version"], capture_output=True, text=True, timeout=60)
    words = out.stdout.split("'")
    return f"Gnumeric {words[1]}" if len(words) > 2 else "Gnumeric (unknown version)"


def convert_gnumeric(src: str | Path, out_dir: str | Path, timeout: float = 900) -> Path:
    """Recalculate ``src`` with Gnumeric, ``ssconvert --recalc``, into a fresh .xlsx in ``out_dir``.

    Gnumeric computes in extended (80-bit) precision and writes 21 significant digits, so its
    numbers are close to, not identical with, double-precision arithmetic."""
    src, out_dir = Path(src).resolve(), Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    produced = out_dir / (src.stem + ".xlsx")
    _run([ssconvert(), "--recalc", str(src), str(produced)], timeout, engine="Gnumeric")
    if not produced.exists() or produced.stat().st_size == 0:
        raise EngineError(f"Gnumeric did not recalculate {src.name} (it produced no output)")
    return produced


def default_engine() -> str:
    """LibreOffice where it is installed, else IronCalc (which ``pip install`` brings)."""
    try:
        soffice()
        return "libreoffice"
    except EngineError:
        return "ironcalc"


_RUNNING: set[subprocess.Popen] = set()  # engines at work, for stop_all


def stop_all() -> None:
    """Stop every engine this process started and is waiting for (verify, interrupted while
    LibreOffice works in another thread, must not wait for it)."""
    for proc in list(_RUNNING):
        _kill(proc)


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the engine and whatever it started
    except (AttributeError, ProcessLookupError, PermissionError):  # no process groups (Windows), or gone
        proc.kill()


def _gone(proc: subprocess.Popen, seconds: float = 5.0) -> None:
    """Wait until every process of the engine's group has ended (LibreOffice's soffice.bin outlives
    the launcher it started by a moment), so that none writes into its folders as they are removed."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(proc.pid, 0)
        except (AttributeError, ProcessLookupError, PermissionError, OSError):
            return
        time.sleep(0.02)


def _run(command: list[str], timeout: float, engine: str = "LibreOffice") -> None:
    """Run the engine in its own process group; on timeout kill the whole group, leaving nothing behind.
    Its temporary files (LibreOffice's ``lu*.tmp`` folders) go into a folder of ours, removed after it,
    so a killed or interrupted engine leaves none in the system's temporary folder either. A Ctrl-C
    cannot come between starting the engine and noting it (:func:`~xlbackprop.core.scratch.deferred`),
    and an engine stopped from another thread (:func:`stop_all`) is waited out before its folders go."""
    with scratch.folder("xlbackprop-engine-") as temporary:
        env = dict(os.environ, SAL_USE_VCLPLUGIN="svp", TMPDIR=temporary, TMP=temporary, TEMP=temporary)
        proc = None
        try:
            with scratch.deferred():
                proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        stdin=subprocess.DEVNULL, start_new_session=True, env=env)
                _RUNNING.add(proc)
            proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise EngineError(f"{engine} took longer than {timeout:g} s and was stopped") from None
        finally:  # on a timeout, Ctrl-C or error: stop it; and let no process of it outlive its folders
            if proc is not None:
                with scratch.deferred():
                    if proc.poll() is None:
                        _kill(proc)
                        proc.communicate()
                    if proc.returncode < 0:  # killed: what it started may still be dying
                        _gone(proc)
                    _RUNNING.discard(proc)
