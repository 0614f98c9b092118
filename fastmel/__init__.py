"""fastmel: librosa-exact mel spectrograms and model front ends in PyTorch.

The public names are here. The package is layered (ARCHITECTURE.md): ``core`` (errors,
arrays, windows, filterbanks, padding, configuration, decibels), ``ops`` (the DFT, the mel
projection, CUDA kernels, precision), ``feature`` (MelSpectrogram, KaldiSpectrogram, MFCC,
FrontEnd), ``presets`` (model front ends and their registry) and ``runtime`` (streaming,
CUDA graphs), then ``io`` (load, AudioBlocks), ``outputs``, ``formats``, ``plot`` and
``streamfile`` (the command line's files), ``corpus`` (corpus extraction) and ``cli``.
"""

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # (what type checkers and the docs read; at run time, __getattr__)
    from fastmel.core.config import MelConfig
    from fastmel.core.errors import ParameterError
    from fastmel.core.filters import (
        fft_frequencies,
        hz_to_mel,
        kaldi_mel_filters,
        mel_filters,
        mel_frequencies,
        mel_to_hz,
        speechbrain_mel_filters,
        torchaudio_mel_filters,
    )
    from fastmel.core.scaling import amplitude_to_db, db_to_amplitude, db_to_power, power_to_db
    from fastmel.core.windows import get_window
    from fastmel.corpus import extract
    from fastmel.feature.frontend import FrontEnd
    from fastmel.feature.mfcc import MFCC, mfcc
    from fastmel.feature.spectrogram import MelSpectrogram, melspectrogram
    from fastmel.io import load
    from fastmel.presets import PRESETS, preset
    from fastmel.presets.wav2lip import MelWindows, mel_windows
    from fastmel.runtime.graph import CUDAGraphRunner, CUDAGraphStream, cuda_graph
    from fastmel.runtime.streaming import MelStream, StreamState

# Each public name is imported on first use (PEP 562), so that `import fastmel` and the
# command line's start do not pay for torch until they need it, and corpus workers that
# only decode never import it.
_LAZY: dict[str, str] = {
    "amplitude_to_db": "fastmel.core.scaling",
    "cuda_graph": "fastmel.runtime.graph",
    "CUDAGraphRunner": "fastmel.runtime.graph",
    "CUDAGraphStream": "fastmel.runtime.graph",
    "db_to_amplitude": "fastmel.core.scaling",
    "db_to_power": "fastmel.core.scaling",
    "extract": "fastmel.corpus",
    "fft_frequencies": "fastmel.core.filters",
    "FrontEnd": "fastmel.feature.frontend",
    "get_window": "fastmel.core.windows",
    "hz_to_mel": "fastmel.core.filters",
    "kaldi_mel_filters": "fastmel.core.filters",
    "load": "fastmel.io",
    "mel_filters": "fastmel.core.filters",
    "mel_frequencies": "fastmel.core.filters",
    "mel_to_hz": "fastmel.core.filters",
    "mel_windows": "fastmel.presets.wav2lip",
    "MelConfig": "fastmel.core.config",
    "MelSpectrogram": "fastmel.feature.spectrogram",
    "melspectrogram": "fastmel.feature.spectrogram",
    "MelStream": "fastmel.runtime.streaming",
    "MelWindows": "fastmel.presets.wav2lip",
    "MFCC": "fastmel.feature.mfcc",
    "mfcc": "fastmel.feature.mfcc",
    "ParameterError": "fastmel.core.errors",
    "power_to_db": "fastmel.core.scaling",
    "preset": "fastmel.presets",
    "PRESETS": "fastmel.presets",
    "speechbrain_mel_filters": "fastmel.core.filters",
    "StreamState": "fastmel.runtime.streaming",
    "torchaudio_mel_filters": "fastmel.core.filters",
}

__version__ = "0.1.0"

__all__ = [
    "CUDAGraphRunner",
    "CUDAGraphStream",
    "MFCC",
    "PRESETS",
    "FrontEnd",
    "MelConfig",
    "MelSpectrogram",
    "MelStream",
    "MelWindows",
    "ParameterError",
    "StreamState",
    "amplitude_to_db",
    "clear_cache",
    "cuda_graph",
    "db_to_amplitude",
    "db_to_power",
    "extract",
    "fft_frequencies",
    "get_window",
    "hz_to_mel",
    "kaldi_mel_filters",
    "load",
    "mel_filters",
    "mel_frequencies",
    "mel_to_hz",
    "mel_windows",
    "melspectrogram",
    "mfcc",
    "power_to_db",
    "preset",
    "speechbrain_mel_filters",
    "torchaudio_mel_filters",
]


def clear_cache() -> None:
    """Empty every cache of constants (filterbanks, windows, modules used by functions)."""
    from fastmel.core import filters, windows
    from fastmel.feature import mfcc, spectrogram

    filters.clear_cache()
    windows.clear_cache()
    spectrogram.clear_cache()
    mfcc.clear_cache()


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        # (a subpackage, such as fastmel.presets, reached as an attribute as before)
        if not name.startswith("_") and importlib.util.find_spec(f"fastmel.{name}") is not None:
            return importlib.import_module(f"fastmel.{name}")
        raise AttributeError(f"module 'fastmel' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # (looked up once)
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
