"""``torchaudio.compliance.kaldi``'s ``fbank`` and ``mfcc``, with its arguments and
defaults, computed by the ``kaldi`` preset: ``(frames, num_mel_bins)`` (``num_ceps``)."""

from __future__ import annotations

import functools
import math
from typing import Any

import numpy as np
import torch

from fastmel.core.errors import ParameterError, check_size
from fastmel.feature.frontend import FrontEnd
from fastmel.feature.mfcc import dct_matrix
from fastmel.presets import preset

__all__ = ["fbank", "mfcc"]

#: torchaudio's window types, and the kaldi preset's names of them (the same)
WINDOWS = {w: w for w in ("hamming", "hanning", "povey", "rectangular", "blackman")}


def _refuse(**given: tuple[Any, Any]) -> None:
    """ParameterError naming each argument given a value other than the one supported."""
    bad = [f"{k}={v!r}" for k, (v, supported) in given.items() if v != supported]
    if bad:
        raise ParameterError(f"not supported: {', '.join(bad)}")


@functools.lru_cache(maxsize=32)
def _module(
    options: tuple[tuple[str, Any], ...], dtype: torch.dtype, device: torch.device
) -> FrontEnd:
    # (built once per configuration and device: .to() rebuilds a module's constants)
    return preset("kaldi", dtype=dtype, **dict(options)).to(device)


def _log_fbank(
    waveform: torch.Tensor, channel: int, min_duration: float, **options: Any
) -> torch.Tensor:
    """The preset's log fbank of ``waveform``'s ``channel`` (``(channels, time)``, as
    torchaudio takes it), ``(frames, bins)``; empty when shorter than ``min_duration``
    seconds."""
    if not isinstance(waveform, torch.Tensor) or waveform.dim() != 2:
        raise ParameterError("waveform must be a 2-D tensor (channels, time)")
    wave = waveform[max(channel, 0)]  # (torchaudio reads channel -1 as the first)
    if wave.shape[0] < min_duration * options["sr"]:
        return wave.new_empty(0)
    dtype = torch.float64 if wave.dtype == torch.float64 else torch.float32
    module = _module(tuple(sorted(options.items())), dtype, wave.device)
    return module(wave).mT


def _options(
    *,
    blackman_coeff: float,
    dither: float,
    frame_length: float,
    frame_shift: float,
    high_freq: float,
    low_freq: float,
    num_mel_bins: int,
    preemphasis_coefficient: float,
    remove_dc_offset: bool,
    round_to_power_of_two: bool,
    sample_frequency: float,
    snip_edges: bool,
    use_energy: bool,
    vtln_warp: float,
    window_type: str,
    power: float,
    subtract_mean: bool,
) -> dict[str, Any]:
    """The kaldi preset's keywords for torchaudio's arguments (the rest refused by name)."""
    _refuse(dither=(dither, 0.0), use_energy=(use_energy, False), vtln_warp=(vtln_warp, 1.0))
    if window_type not in WINDOWS:
        raise ParameterError(f"window_type={window_type!r} must be one of {sorted(WINDOWS)}")
    if window_type == "blackman":
        _refuse(blackman_coeff=(blackman_coeff, 0.42))
    sr = float(sample_frequency)
    return dict(
        sr=sr,
        n_mels=check_size("num_mel_bins", num_mel_bins),
        win_length=int(sr * frame_length * 0.001),  # (truncated, as torchaudio)
        hop_length=int(sr * frame_shift * 0.001),
        fmin=float(low_freq),
        fmax=float(high_freq),
        window=WINDOWS[window_type],
        preemphasis=float(preemphasis_coefficient),
        remove_dc_offset=bool(remove_dc_offset),
        round_to_power_of_two=bool(round_to_power_of_two),
        snip_edges=bool(snip_edges),
        allow_empty_banks=True,  # (torchaudio keeps a bank with no bin, at the log floor)
        power=float(power),
        subtract_mean=bool(subtract_mean),
    )


def fbank(
    waveform: torch.Tensor,
    blackman_coeff: float = 0.42,
    channel: int = -1,
    dither: float = 0.0,
    energy_floor: float = 1.0,
    frame_length: float = 25.0,
    frame_shift: float = 10.0,
    high_freq: float = 0.0,
    htk_compat: bool = False,
    low_freq: float = 20.0,
    min_duration: float = 0.0,
    num_mel_bins: int = 23,
    preemphasis_coefficient: float = 0.97,
    raw_energy: bool = True,
    remove_dc_offset: bool = True,
    round_to_power_of_two: bool = True,
    sample_frequency: float = 16000.0,
    snip_edges: bool = True,
    subtract_mean: bool = False,
    use_energy: bool = False,
    use_log_fbank: bool = True,
    use_power: bool = True,
    vtln_high: float = -500.0,
    vtln_low: float = 100.0,
    vtln_warp: float = 1.0,
    window_type: str = "povey",
) -> torch.Tensor:
    """``torchaudio.compliance.kaldi.fbank``: Kaldi's log mel filterbank of ``waveform``
    ``(channels, time)``, ``(frames, num_mel_bins)``.

    Not supported (a ParameterError names them): ``dither`` other than 0 (random noise),
    ``use_energy=True``, ``use_log_fbank=False``, ``vtln_warp`` other than 1, and
    ``blackman_coeff`` other than 0.42 with the Blackman window. ``energy_floor``,
    ``raw_energy``, ``htk_compat``, ``vtln_low`` and ``vtln_high`` only matter with those.
    """
    _refuse(use_log_fbank=(use_log_fbank, True))
    options = _options(
        blackman_coeff=blackman_coeff,
        dither=dither,
        frame_length=frame_length,
        frame_shift=frame_shift,
        high_freq=high_freq,
        low_freq=low_freq,
        num_mel_bins=num_mel_bins,
        preemphasis_coefficient=preemphasis_coefficient,
        remove_dc_offset=remove_dc_offset,
        round_to_power_of_two=round_to_power_of_two,
        sample_frequency=sample_frequency,
        snip_edges=snip_edges,
        use_energy=use_energy,
        vtln_warp=vtln_warp,
        window_type=window_type,
        power=2.0 if use_power else 1.0,
        subtract_mean=bool(subtract_mean),
    )
    return _log_fbank(waveform, channel, min_duration, **options)


def mfcc(
    waveform: torch.Tensor,
    blackman_coeff: float = 0.42,
    cepstral_lifter: float = 22.0,
    channel: int = -1,
    dither: float = 0.0,
    energy_floor: float = 1.0,
    frame_length: float = 25.0,
    frame_shift: float = 10.0,
    high_freq: float = 0.0,
    htk_compat: bool = False,
    low_freq: float = 20.0,
    num_ceps: int = 13,
    min_duration: float = 0.0,
    num_mel_bins: int = 23,
    preemphasis_coefficient: float = 0.97,
    raw_energy: bool = True,
    remove_dc_offset: bool = True,
    round_to_power_of_two: bool = True,
    sample_frequency: float = 16000.0,
    snip_edges: bool = True,
    subtract_mean: bool = False,
    use_energy: bool = False,
    vtln_high: float = -500.0,
    vtln_low: float = 100.0,
    vtln_warp: float = 1.0,
    window_type: str = "povey",
) -> torch.Tensor:
    """``torchaudio.compliance.kaldi.mfcc``: Kaldi's MFCCs of ``waveform`` ``(channels,
    time)``, ``(frames, num_ceps)``: the log fbank, the orthonormal DCT-II kept to
    ``num_ceps``, the lifter ``1 + cepstral_lifter / 2 * sin(pi * i / cepstral_lifter)``;
    ``htk_compat`` moves C0 last, times sqrt(2).

    Not supported: as :func:`fbank` (``use_energy=True`` included).
    """
    if num_ceps > num_mel_bins:
        raise ParameterError(f"num_ceps={num_ceps} must be <= num_mel_bins={num_mel_bins}")
    options = _options(
        blackman_coeff=blackman_coeff,
        dither=dither,
        frame_length=frame_length,
        frame_shift=frame_shift,
        high_freq=high_freq,
        low_freq=low_freq,
        num_mel_bins=num_mel_bins,
        preemphasis_coefficient=preemphasis_coefficient,
        remove_dc_offset=remove_dc_offset,
        round_to_power_of_two=round_to_power_of_two,
        sample_frequency=sample_frequency,
        snip_edges=snip_edges,
        use_energy=use_energy,
        vtln_warp=vtln_warp,
        window_type=window_type,
        power=2.0,  # (the log power fbank, its mean kept: fbank's module with its defaults)
        subtract_mean=False,
    )
    L = _log_fbank(waveform, channel, min_duration, **options)
    if not L.numel():
        return L
    D = _dct(int(num_mel_bins), int(num_ceps), float(cepstral_lifter), L.dtype, L.device)
    C = torch.matmul(L, D)
    if htk_compat:  # (C0 last, as HTK; times sqrt(2) without the energy)
        C = torch.cat([C[:, 1:], C[:, :1] * math.sqrt(2.0)], dim=1)
    return C - C.mean(dim=0, keepdim=True) if subtract_mean else C


@functools.lru_cache(maxsize=32)
def _dct(
    n_mels: int, n_ceps: int, lifter: float, dtype: torch.dtype, device: torch.device
) -> torch.Tensor:
    """The orthonormal DCT-II ``(n_mels, n_ceps)`` with the lifter folded into its columns,
    built in float64 and rounded once."""
    D = dct_matrix(n_mels, n_ceps, norm="ortho").T
    if lifter:
        D = D * (1.0 + 0.5 * lifter * np.sin(math.pi * np.arange(n_ceps) / lifter))
    return torch.tensor(D, dtype=dtype, device=device)
