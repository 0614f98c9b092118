"""An extraction's configuration: what computes the features, how they are stored, and the
versions that computed them, recorded in the output directory so that a rerun with another
configuration is refused rather than mixed in."""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

from fastmel.core.errors import ParameterError

__all__ = ["CONFIG_FILE", "ExtractConfig", "FORMATS", "versions"]

#: The configuration's file in the output directory.
CONFIG_FILE = "config.json"
#: Output formats: a tree of .npy files mirroring the inputs' keys, or Parquet shards.
FORMATS = ("npy", "parquet")


def versions() -> dict[str, str]:
    """The versions whose code computes the features: fastmel, torch, libsndfile, soxr."""
    import soundfile
    import soxr
    import torch

    from fastmel import __version__

    return {
        "fastmel": __version__,
        "torch": torch.__version__,
        "libsndfile": soundfile.__libsndfile_version__,
        "soxr": soxr.__version__,
    }


@dataclasses.dataclass(frozen=True)
class ExtractConfig:
    """What features are extracted and how they are stored.

    Attributes
    ----------
    preset : str or None
        A model's front end (``fastmel.preset(preset, **options)``); None: a librosa mel
        spectrogram (``MelSpectrogram(sr=sr, **options)``).
    options : dict
        The preset's options, or the mel spectrogram's keywords.
    sr : float or None
        The rate audio is resampled to (None: the preset's, or each file's own for a mel
        spectrogram).
    db : bool
        Store ``power_to_db`` of the mel spectrogram (not with a preset).
    format : {"npy", "parquet"}
        The output's format.
    float16 : bool
        Store float16 (half the size; the features rounded to 11 significant bits).
    device : str
        Where the features are computed (``"cpu"``, ``"cuda"``, ``"cuda:1"``...): part of
        the configuration, as a GPU's FFT rounds otherwise than the CPU's.
    """

    preset: str | None = None
    options: dict[str, Any] = dataclasses.field(default_factory=dict)
    sr: float | None = None
    db: bool = False
    format: str = "npy"
    float16: bool = False
    device: str = "cpu"

    def __post_init__(self) -> None:
        import torch

        from fastmel.presets import PRESET_SPECS

        try:
            device = torch.device(self.device)
        except (RuntimeError, TypeError):
            raise ParameterError(f"device={self.device!r} is not a torch device") from None
        if device.type == "cuda" and not torch.cuda.is_available():
            raise ParameterError(f"device={self.device!r}: torch sees no CUDA device here")
        if device.type not in ("cpu", "cuda"):
            raise ParameterError(f"device={self.device!r} must be a CPU or CUDA device")

        if self.format not in FORMATS:
            raise ParameterError(f"format={self.format!r} must be one of {FORMATS}")
        if self.format == "parquet":
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                raise ParameterError(
                    "format 'parquet' needs pyarrow: pip install 'fastmel[parquet]'"
                ) from None
        if self.preset is not None and self.preset not in PRESET_SPECS:
            raise ParameterError(f"preset {self.preset!r} is not one of {sorted(PRESET_SPECS)}")
        if self.db and self.preset is not None:
            raise ParameterError("db does not apply to a preset: presets output their own features")
        try:
            json.dumps(self.options)
        except TypeError:
            raise ParameterError("options must be numbers, strings, booleans or None") from None

    @property
    def rate(self) -> float | None:
        """The rate files are resampled to (None: each file's own)."""
        if self.preset is not None and self.sr is None:
            from fastmel.presets import PRESET_SPECS

            return self.options.get("sr", PRESET_SPECS[self.preset].audio_rate)
        return self.sr

    def module(self, sr: float) -> Any:
        """The module computing the features of audio at ``sr``."""
        from fastmel.feature.spectrogram import MelSpectrogram
        from fastmel.presets import preset

        module: Any
        if self.preset is None:
            module = MelSpectrogram(sr=sr, **self.options)
        else:
            module = preset(self.preset, **self.options)
        return module.to(self.device)

    def record(self) -> dict[str, Any]:
        """The configuration as stored: its fields and the versions computing it."""
        return {**dataclasses.asdict(self), "versions": versions()}

    def claim(self, directory: str) -> None:
        """Write the record into ``directory``, or check that the record there is this one
        (ParameterError naming what differs)."""
        path = os.path.join(directory, CONFIG_FILE)
        record = self.record()
        try:
            with open(path, encoding="utf-8") as f:
                stored = json.load(f)
        except FileNotFoundError:
            os.makedirs(directory, exist_ok=True)
            tmp = f"{path}.tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(record, f, indent=2, sort_keys=True)
            os.replace(tmp, path)
            return
        except (OSError, json.JSONDecodeError) as e:
            raise ParameterError(f"{path}: cannot read the stored configuration ({e})") from None
        if stored != json.loads(json.dumps(record)):
            differ = sorted(k for k in set(stored) | set(record) if stored.get(k) != record.get(k))
            raise ParameterError(
                f"{directory} holds features of another configuration (differing: "
                f"{', '.join(differ)}): choose another directory, or --overwrite"
            )
