"""One item's features: its audio (:mod:`fastmel.corpus.decode`) computed by the
configuration's module on the CPU (too short audio is an error naming why)."""

from __future__ import annotations

import dataclasses
import os
import secrets
from typing import Any

import numpy as np
import torch

from fastmel.core.errors import ParameterError
from fastmel.corpus.config import ExtractConfig
from fastmel.corpus.decode import (
    ItemError,
    check_finite,
    check_read,
    open_blocks,
    read_audio,
    reading,
)
from fastmel.corpus.inputs import Item

__all__ = ["Features", "ItemError", "Computer"]


@dataclasses.dataclass
class Features:
    """An item's features and what the manifest records of them: the array, or, for a long
    file streamed to disk, the temporary .npy holding it (to be renamed into place)."""

    item: Item
    data: np.ndarray | None  # (rows, frames), float32 (or float16 when stored so)
    sr: float
    seconds: float
    file: str | None = None
    shape: tuple[int, int] = (0, 0)

    def __post_init__(self) -> None:
        if self.data is not None:
            self.shape = (int(self.data.shape[0]), int(self.data.shape[1]))


def _reason(e: BaseException) -> str:
    text = (e.strerror if isinstance(e, OSError) and e.strerror else str(e)) or type(e).__name__
    return text.splitlines()[0]


class Computer:
    """Computes items' features with one module per sampling rate (built on first use)."""

    def __init__(self, config: ExtractConfig, spool: str | None = None) -> None:
        self.config = config
        #: where long files' features stream to (.npy outputs; None: computed whole)
        self.spool = spool if config.format == "npy" else None
        self._modules: dict[float, Any] = {}

    def module(self, sr: float) -> Any:
        module = self._modules.get(sr)
        if module is None:
            module = self._modules[sr] = self.config.module(sr)
        return module

    def __call__(self, item: Item) -> Features:
        """The item's features (ItemError if they cannot be computed)."""
        from fastmel import streamfile

        blocks = open_blocks(item, self.config.rate)  # (the file opened once)
        if self.spool is not None and blocks.n_samples > streamfile.STREAM_SAMPLES:
            module = self.module(blocks.sr)
            if streamfile.streams(module):
                return self._streamed(item, blocks, module)
        y, sr = read_audio(blocks)
        return self.features(item, y, sr)

    def features(self, item: Item, y: np.ndarray, sr: float) -> Features:
        """The features of ``item``'s samples ``y`` at ``sr`` (from :func:`read_audio`)."""
        from fastmel.core.scaling import power_to_db

        module = self.module(sr)
        try:
            with torch.inference_mode():
                M = module(torch.from_numpy(y).to(self.config.device)).cpu().numpy()
        except ParameterError as e:  # (too short for a frame, ...)
            raise ItemError(_reason(e)) from None
        if self.config.db:
            power = module.config.power
            M = power_to_db(M if power == 2.0 else M ** (2.0 / power))
        dtype = np.float16 if self.config.float16 else np.float32
        return Features(item, np.ascontiguousarray(M, dtype=dtype), sr, y.shape[0] / sr)

    def _streamed(self, item: Item, blocks: Any, module: Any) -> Features:
        """A long file's features streamed to a temporary .npy in the spool directory, in
        memory bounded by the block size (within the streaming tolerance of the module's)."""
        from fastmel import streamfile

        assert self.spool is not None
        os.makedirs(self.spool, exist_ok=True)
        tmp = os.path.join(self.spool, f".fastmel-{secrets.token_hex(6)}.npy")
        n = 0

        def check(block: np.ndarray) -> None:
            nonlocal n
            n += block.shape[0]
            check_finite(block)

        try:
            with open(tmp, "w+b") as f, reading():
                out = streamfile.stream_to_npy(
                    blocks,
                    module,
                    f,
                    power=(module.mel if self.config.preset else module).config.power,
                    db=self.config.db,
                    features=self.config.preset is not None,
                    check=check,
                    dtype=np.float16 if self.config.float16 else np.float32,
                )
            check_read(blocks)
            if not out.shape[1]:
                raise ItemError("no frame")
        except BaseException:
            os.unlink(tmp)
            raise
        return Features(item, None, blocks.sr, n / blocks.sr, file=tmp, shape=out.shape)
