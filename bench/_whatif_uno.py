"""The what-if cost in LibreOffice: set eta, recalculate everything, time it. Used by bench/scale.py.

    /usr/bin/python3 bench/_whatif_uno.py BOOK.xlsx --eta 0.5 2 0.1 --cells T20 T10019

Runs with the system Python, which holds Debian's python3-uno (``apt-get install -y python3-uno``),
not with the project's virtualenv. It starts its own ``soffice`` (headless, private profile in a
temporary folder, listening on a named pipe), loads the book hidden, and for each eta sets B2 of
``Training`` (the cell named ``eta``) and calls ``calculateAll()``. It prints one JSON line:
``load`` (seconds to open the book), ``recalc`` (seconds of each set-eta-and-recalculate),
``values`` (the cells asked for, after the last recalculation) and ``soffice_peak_mb`` (the
largest VmHWM among soffice's processes). soffice's whole process group is killed at the end
and its pipe removed.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.connection import NoConnectException

CONNECT_SECONDS = 120


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("book", type=Path)
    parser.add_argument("--eta", type=float, nargs="+", required=True)
    parser.add_argument("--cells", nargs="*", default=[])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="xlbackprop-whatif-") as tmp:
        pipe = f"xlbackprop-whatif-{os.getpid()}"
        office = subprocess.Popen(
            ["soffice", f"-env:UserInstallation={Path(tmp, 'profile').as_uri()}", "--headless", "--invisible",
             "--norestore", "--nologo", "--nodefault", "--nolockcheck",
             f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True, env=dict(os.environ, SAL_USE_VCLPLUGIN="svp"))
        try:
            result = _measure(_desktop(pipe), args.book.resolve(), args.eta, args.cells)
            result["soffice_peak_mb"] = _group_peak_mb(office.pid)
        finally:
            os.killpg(office.pid, signal.SIGKILL)
            office.wait()
            for socket in Path("/tmp").glob(f"OSL_PIPE_*_{pipe}"):  # a killed soffice leaves its pipe behind
                socket.unlink()
    print(json.dumps(result))


def _desktop(pipe: str):
    """soffice's Desktop, once it answers on ``pipe``."""
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + CONNECT_SECONDS
    while True:
        try:
            context = resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
            break
        except NoConnectException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    return context.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", context)


def _measure(desktop, book: Path, etas: list[float], cells: list[str]) -> dict:
    start = time.perf_counter()
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(str(book)), "_blank", 0,
                                       (PropertyValue(Name="Hidden", Value=True),))
    load = time.perf_counter() - start
    sheet = doc.Sheets.getByName("Training")
    eta = sheet.getCellRangeByName("B2")
    recalc = []
    for value in etas:
        start = time.perf_counter()
        eta.setValue(value)
        doc.calculateAll()
        recalc.append(time.perf_counter() - start)
    values = {cell: sheet.getCellRangeByName(cell).getValue() for cell in cells}
    doc.close(True)
    return {"load": load, "recalc": recalc, "values": values}


def _group_peak_mb(pgid: int) -> float:
    """The largest peak resident size (VmHWM) of the processes in group ``pgid``, in MB."""
    peak = 0
    for proc in Path("/proc").iterdir():
        try:
            if not proc.name.isdigit() or os.getpgid(int(proc.name)) != pgid:
                continue
            for line in (proc / "status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except (OSError, ProcessLookupError):
            continue
    return peak / 1024


if __name__ == "__main__":
    main()
