"""fastmel: librosa-exact mel spectrograms in PyTorch.

Modules: ``filters`` (mel scale, windows, filterbank), ``spectrogram`` (MelSpectrogram,
melspectrogram), ``streaming`` (MelStream), ``presets`` (model front ends and their
registry), ``frontend`` (their FrontEnd base), ``kaldi_presets`` (those built on Kaldi's
fbank), ``mfcc``, ``video`` (Wav2Lip mel windows), ``scaling`` (decibels), ``projection``
(banded mel GEMM), ``config`` (MelConfig), ``padding`` (np.pad's modes), ``arrays`` (NumPy
in, NumPy out), ``graph`` (CUDA-graph runners), ``fused`` (optional Triton kernels),
``tracing`` (routes under compile and export), ``precision`` (float32-exact products where
TF32/bf16 is set), ``dft`` (the DFT as GEMMs, for ONNX), ``kaldi`` (Kaldi's fbank),
``funasr`` (FunASR's frame stacking and am.mvn), ``io`` (load), ``cli`` (command line).
"""

from .config import MelConfig
from .errors import ParameterError
from .filters import (
    fft_frequencies,
    get_window,
    hz_to_mel,
    mel_filters,
    mel_frequencies,
    mel_to_hz,
    speechbrain_mel_filters,
    torchaudio_mel_filters,
)
from .graph import CUDAGraphRunner, CUDAGraphStream, cuda_graph
from .io import load
from .kaldi import kaldi_mel_filters
from .mfcc import MFCC, mfcc
from .presets import PRESETS, FrontEnd, preset
from .scaling import amplitude_to_db, db_to_amplitude, db_to_power, power_to_db
from .spectrogram import MelSpectrogram, melspectrogram
from .streaming import MelStream, StreamState
from .video import MelWindows, mel_windows

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
    from . import filters, spectrogram
    from .mfcc import _dct_tensor

    filters.clear_cache()
    spectrogram.clear_cache()
    _dct_tensor.cache_clear()
