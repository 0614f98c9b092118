"""One item's audio, decoded and resampled as ``load`` does and checked (unreadable, empty,
truncated or non-finite audio is an :class:`ItemError` naming why), with NumPy, soundfile and
soxr only: what the local engine's worker processes run, so that they never import torch."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import numpy as np

from fastmel.corpus.inputs import Item
from fastmel.io import AudioBlocks, read_failure

__all__ = ["ItemError", "open_blocks", "read_audio", "check_finite"]


class ItemError(Exception):
    """An input whose features cannot be computed; the message says why, in one line."""


def open_blocks(item: Item, rate: float | None) -> AudioBlocks:
    """The item's audio in blocks at ``rate`` (ItemError if it cannot be opened or is
    truncated)."""
    with reading():
        blocks = AudioBlocks(item.path, sr=rate, offset=item.offset, duration=item.duration)
    if blocks.truncated:  # (libsndfile reads a truncated file quietly)
        raise ItemError("truncated: the file holds less data than its header declares")
    return blocks


def read_audio(blocks: AudioBlocks) -> tuple[np.ndarray, float]:
    """The samples of ``blocks`` (from :func:`open_blocks`) and their rate, as ``load``
    gives them (ItemError if they cannot be read, are empty or are not finite)."""
    with reading():
        y = blocks.read()
    check_read(blocks)
    if not y.size:
        raise ItemError("no audio (0 samples)")
    check_finite(y)
    return y, blocks.sr


def check_finite(y: np.ndarray) -> None:
    """ItemError unless every sample is finite (the message ``melspectrogram`` gives)."""
    # (a finite sum means finite samples; only a sum that is not pays for the exact check)
    if not math.isfinite(float(np.sum(y, dtype=np.float64))) and not np.isfinite(y).all():
        raise ItemError("y is not finite everywhere (contains NaN or inf)")


def check_read(blocks: AudioBlocks) -> None:
    """ItemError if fewer frames were read than the file declares."""
    if blocks.frames_read < blocks.frames:
        raise ItemError(f"truncated: {blocks.frames_read} of {blocks.frames} frames")


@contextlib.contextmanager
def reading() -> Iterator[None]:
    """Failures to read the item's file as ItemErrors saying why."""
    try:
        yield
    except Exception as e:
        reason = read_failure(e)
        if reason is None:
            raise
        raise ItemError(reason) from None
