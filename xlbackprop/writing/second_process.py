"""The reference run of a long build, computed by a second Python process while this one writes.

The reference is numpy on arrays of a few numbers, one iteration after the other: it cannot use
a second core by itself, and it costs about as much as writing the rows' XML. So the build
runs it beside the writing::

    for matrix in matrices(spec, 10_000, names):   # a block of iterations, from the other process
        write(matrix)                              # written here while the next block is computed

The other process is a fresh interpreter (``python -c "...serve()"``), not a fork: nothing of
this one's threads or ``__main__`` is copied or run again. It reads its task, pickled, from its
standard input and writes each block as raw float64 rows to its standard output; the pipe's own
buffer keeps it at most a block ahead, so memory stays flat however long the run. Ctrl-C reaches
both; iteration that ends here, early or not, stops it; a failure there is raised here.
"""

from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path
from typing import BinaryIO, Iterator

import numpy as np

from ..core.errors import ReferenceProcessError
from ..core.spec import Spec

_HEADER = struct.Struct("<qq")  # a block's rows and columns; its rows*columns float64 follow
_COMMAND = "from xlbackprop.writing.second_process import serve; serve()"


def matrices(spec: Spec, size: int, names: list[str]) -> Iterator[np.ndarray]:
    """:func:`xlbackprop.core.reference.matrices_in_blocks` ``(spec, size, names)``, from a second process;
    from this one, the same numbers more slowly, where no second interpreter can start (Python
    embedded in another program, without ``sys.executable``)."""
    try:
        process = subprocess.Popen([sys.executable or "", "-c", _COMMAND], stdin=subprocess.PIPE,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_environment())
    except OSError:
        from ..core.reference import matrices_in_blocks

        yield from matrices_in_blocks(spec, size, names)
        return
    try:
        process.stdin.write(pickle.dumps((spec, size, names)))
        process.stdin.close()
        while True:
            header = _read(process.stdout, _HEADER.size)
            if not header:
                break
            rows, columns = _HEADER.unpack(header)
            data = _read(process.stdout, rows * columns * 8)
            if len(data) < rows * columns * 8:
                break
            yield np.frombuffer(data, dtype="<f8").reshape(rows, columns)
        if process.wait() != 0:
            last = process.stderr.read().decode("utf-8", "replace").strip().splitlines()
            why = last[-1] if last else (f"killed by signal {-process.returncode}" if process.returncode < 0
                                         else f"exit code {process.returncode}")
            raise ReferenceProcessError(f"build: the process computing the reference run stopped ({why}); "
                                        f"nothing was written")
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        process.stdout.close()
        process.stderr.close()


def _environment() -> dict[str, str]:
    """This process's environment, with the folder this package was imported from first on the
    path: the other process runs the same code, wherever it came from (a checkout, ``sys.path``).
    An installed package's folder, site-packages, is on that path already, and is not put before
    the standard library."""
    import site

    env = dict(os.environ)
    here = Path(__file__).resolve().parents[2]  # the folder that holds the package xlbackprop
    installed = {Path(p).resolve() for p in site.getsitepackages() + [site.getusersitepackages()]}
    if here not in installed:
        env["PYTHONPATH"] = os.pathsep.join([str(here)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return env


def serve(stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
    """The second process: read ``(spec, size, names)`` and write the blocks of its run."""
    from ..core.reference import matrices_in_blocks

    stdin, stdout = stdin or sys.stdin.buffer, stdout or sys.stdout.buffer
    spec, size, names = pickle.loads(stdin.read())  # from the process that started this one
    try:
        for matrix in matrices_in_blocks(spec, size, names):
            stdout.write(_HEADER.pack(*matrix.shape))
            stdout.write(np.ascontiguousarray(matrix, dtype="<f8").tobytes())
        stdout.flush()
    except BrokenPipeError:  # the writer stopped early and needs no more
        sys.exit(1)


def _read(stream: BinaryIO, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
