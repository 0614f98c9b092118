"""One item's features: decoded and resampled as ``load`` does, checked (unreadable, empty,
truncated, non-finite or too short audio is an error naming why), computed by the
configuration's module on the CPU."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import torch

from fastmel.core.errors import ParameterError
from fastmel.corpus.config import ExtractConfig
from fastmel.corpus.inputs import Item

__all__ = ["Features", "ItemError", "Computer"]


class ItemError(Exception):
    """An input whose features cannot be computed; the message says why, in one line."""


@dataclasses.dataclass
class Features:
    """An item's features and what the manifest records of them."""

    item: Item
    data: np.ndarray  # (rows, frames), float32 (or float16 when stored so)
    sr: float
    seconds: float


def _reason(e: BaseException) -> str:
    text = (e.strerror if isinstance(e, OSError) and e.strerror else str(e)) or type(e).__name__
    return text.splitlines()[0]


class Computer:
    """Computes items' features with one module per sampling rate (built on first use)."""

    def __init__(self, config: ExtractConfig) -> None:
        self.config = config
        self._modules: dict[float, Any] = {}

    def module(self, sr: float) -> Any:
        module = self._modules.get(sr)
        if module is None:
            module = self._modules[sr] = self.config.module(sr)
        return module

    def audio(self, item: Item) -> tuple[np.ndarray, float]:
        """The item's samples and rate, as ``load`` gives them (ItemError if it cannot)."""
        from fastmel.feature.spectrogram import _check_audio
        from fastmel.io import AudioBlocks

        try:
            blocks = AudioBlocks(
                item.path, sr=self.config.rate, offset=item.offset, duration=item.duration
            )
            y = np.concatenate([np.zeros(0, np.float32), *blocks])
        except FileNotFoundError:
            raise ItemError("no such file") from None
        except IsADirectoryError:
            raise ItemError("is a directory") from None
        except (OSError, RuntimeError, ValueError) as e:  # (soundfile's, ParameterError)
            raise ItemError(f"cannot read audio ({_reason(e)})") from None
        if blocks.truncated:  # (libsndfile reads a truncated file quietly)
            raise ItemError("truncated: the file holds less data than its header declares")
        if blocks.frames_read < blocks.frames:
            raise ItemError(f"truncated: {blocks.frames_read} of {blocks.frames} frames")
        if not y.size:
            raise ItemError("no audio (0 samples)")
        try:
            _check_audio(y)
        except ParameterError as e:
            raise ItemError(_reason(e)) from None
        return y, blocks.sr

    def __call__(self, item: Item) -> Features:
        """The item's features (ItemError if they cannot be computed)."""
        from fastmel.core.scaling import power_to_db

        y, sr = self.audio(item)
        module = self.module(sr)
        try:
            with torch.inference_mode():
                M = module(torch.from_numpy(y)).numpy()
        except ParameterError as e:  # (too short for a frame, ...)
            raise ItemError(_reason(e)) from None
        if self.config.db:
            power = module.config.power
            M = power_to_db(M if power == 2.0 else M ** (2.0 / power))
        dtype = np.float16 if self.config.float16 else np.float32
        return Features(item, np.ascontiguousarray(M, dtype=dtype), sr, y.shape[0] / sr)
