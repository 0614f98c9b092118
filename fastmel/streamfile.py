"""A long file's features in bounded memory, for the command line.

The file is read in blocks (:class:`fastmel.io.AudioBlocks`, the samples ``load`` gives),
pushed through a :class:`~fastmel.MelStream` (the frames the module gives, within the
streaming tolerance), and written column block by column block to a Fortran-ordered .npy
(:class:`fastmel.formats.ColumnWriter`). What needs the whole output, the decibels' floor
below the peak and a plot's image averaged down to its width, is a second pass over the
file. Memory is then bounded by the block size, whatever the file's length.
"""

from __future__ import annotations

import dataclasses
import os
import tempfile
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import torch

from fastmel.core.errors import ParameterError
from fastmel.core.scaling import power_to_db
from fastmel.feature.frontend import WholeInput
from fastmel.formats import PASS_COLUMNS, ColumnWriter
from fastmel.runtime.streaming import MelStream

__all__ = ["STREAM_SAMPLES", "StreamedOutput", "streams", "stream_to_npy"]

#: Inputs longer than this many samples go through the stream (shorter ones are computed
#: whole, the module's own numbers bit for bit).
STREAM_SAMPLES = 1 << 23
_AMIN, _TOP_DB = 1e-10, 80.0  # (power_to_db's defaults, which `fastmel mel --db` uses)


@dataclasses.dataclass
class StreamedOutput:
    """What :func:`stream_to_npy` wrote: the array's shape, its writer (to read it back
    or convert it, :func:`fastmel.formats.save_columns`) and, for a plot, its image
    averaged over groups of columns and the groups' edges (in columns)."""

    shape: tuple[int, int]
    columns: ColumnWriter
    image: np.ndarray | None = None
    edges: np.ndarray | None = None


def _db(block: np.ndarray, power: float) -> np.ndarray:
    """Decibels of a block of a power-``power`` spectrogram, before the floor."""
    return power_to_db(block if power == 2.0 else block ** (2.0 / power), top_db=None)


def streams(module: Any) -> bool:
    """Whether :func:`stream_to_npy` computes ``module``'s output in bounded memory: a
    causal one, or one with a whole-input step over its causal part."""
    return bool(getattr(module, "causal", True)) or module.whole_input() is not None


def _stream(
    blocks: Iterable[np.ndarray],
    stream: MelStream,
    write: Callable[[np.ndarray], None],
    check: Callable[[np.ndarray], None] | None,
    trailing_zeros: int = 0,
) -> int:
    """Push every block (then ``trailing_zeros`` zeros) and write the frames as they
    come; returns the samples pushed."""
    samples = 0
    with torch.inference_mode():
        for block in blocks:
            if check is not None:
                check(block)
            samples += block.shape[-1]
            write(stream.push(block))
        if trailing_zeros:
            write(stream.push(np.zeros(trailing_zeros, np.float32)))
        write(stream.flush())
    return samples + trailing_zeros


def _whole(
    blocks: Iterable[np.ndarray],
    whole: WholeInput,
    write: Callable[[np.ndarray], None],
    check: Callable[[np.ndarray], None] | None,
    file: Any,
) -> None:
    """A front end's whole-input step over its causal part's frames, stored in an unnamed
    file beside ``file``: statistics, then the output written a block at a time."""
    name = getattr(file, "name", None)
    directory = os.path.dirname(os.path.abspath(name)) if isinstance(name, str) else None
    with tempfile.TemporaryFile(dir=directory) as spool:
        stored = ColumnWriter(spool, np.float32)

        def store(frames: np.ndarray) -> None:
            if frames.shape[-1]:
                stored.append(frames)

        samples = _stream(blocks, MelStream(whole.causal), store, check, whole.trailing_zeros)
        stored.finish()
        size = max(2, PASS_COLUMNS - PASS_COLUMNS % 2)  # (even: frames stacked in pairs)

        def each(fn: Callable[[int, np.ndarray], Any]) -> None:
            stored.map_columns(fn, size, write=False)

        whole.statistics(each, stored.columns, samples)

        def finish(start: int, block: np.ndarray) -> np.ndarray:
            with torch.inference_mode():
                write(whole.finish(start, torch.from_numpy(block)).numpy())
            return block

        stored.map_columns(finish, size, write=False)
        tail = whole.tail(stored.rows or 0)
        if tail is not None:
            write(tail.numpy())


def stream_to_npy(
    blocks: Iterable[np.ndarray],
    module: Any,
    file: Any,
    *,
    power: float,
    db: bool,
    features: bool,
    width: int | None = None,
    check: Callable[[np.ndarray], None] | None = None,
    dtype: Any = np.float32,
) -> StreamedOutput:
    """Push ``blocks`` through ``MelStream(module)`` and write the frames to ``file``.

    Parameters
    ----------
    blocks : iterable of np.ndarray [shape=(n,)]
        The audio, block after block.
    module : MelSpectrogram or FrontEnd
        What computes the frames: a causal front end streams; one that is not goes
        through its :meth:`~fastmel.FrontEnd.whole_input` (its causal part's frames
        stored in an unnamed file beside ``file``, then its statistics and its output a
        block at a time).
    file : binary file object
        Opened for reading and writing, empty.
    power : float
        The spectrogram's power (for decibels).
    db : bool
        Write ``power_to_db`` of the output (floored 80 dB below its peak), as
        ``fastmel mel --db`` does.
    features : bool
        The output is a preset's features: plotted as they are, not in dB.
    width : int, optional
        Also return the image of a plot at most this many columns wide (the output in dB,
        floored below the peak, or a preset's features), averaged over groups of
        consecutive columns.
    check : callable, optional
        Called on each block before it is pushed (raise to stop).
    dtype : np.dtype
        The dtype stored (float32, or float16: the values computed, rounded).

    Returns
    -------
    StreamedOutput
    """
    writer = ColumnWriter(file, dtype)
    wants_peak = db or (width is not None and not features)
    peak = -np.inf  # (the largest dB value, for the floor)

    def write(out: np.ndarray) -> None:
        nonlocal peak
        if db:
            out = _db(out, power)
        if not out.shape[-1]:
            return
        if wants_peak:
            peak = max(peak, float((out if db else _db(out, power)).max()))
        writer.append(out)

    if getattr(module, "causal", True):
        _stream(blocks, MelStream(module), write, check)
    else:
        whole = module.whole_input()
        if whole is None:
            raise ParameterError(
                f"{type(module).__name__} cannot stream: {module.whole_input_statistic} "
                "needs the whole input"
            )
        _whole(blocks, whole, write, check, file)
    shape = writer.finish()
    floor = peak - _TOP_DB
    if db:
        writer.map_columns(lambda start, b: np.maximum(b, floor), PASS_COLUMNS)
    if width is None or not shape[1]:
        return StreamedOutput(shape, writer)
    size = max(1, -(-shape[1] // width))  # columns per group; blocks hold whole groups
    sums = np.zeros((shape[0], -(-shape[1] // size)))

    def pool(start: int, block: np.ndarray) -> np.ndarray:
        image = block if db or features else np.maximum(_db(block, power), floor)
        first = start // size
        reduced = np.add.reduceat(image, np.arange(0, block.shape[1], size), axis=1, dtype=float)
        sums[:, first : first + reduced.shape[1]] = reduced
        return block

    writer.map_columns(pool, size * max(1, PASS_COLUMNS // size), write=False)
    edges = np.append(np.arange(0, shape[1], size), shape[1])
    return StreamedOutput(shape, writer, (sums / np.diff(edges)).astype(np.float32), edges)
