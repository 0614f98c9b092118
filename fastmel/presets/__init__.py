"""Model front ends: the features popular models were trained on, as torch modules.

Each preset is a :class:`~fastmel.FrontEnd`: an optional causal pre-filter (pre-emphasis),
a :class:`~fastmel.MelSpectrogram` configured as the model's code computes it, and
post-processing (log compression, normalisation). ``fastmel.preset(name, **overrides)``
builds one; ``PRESETS`` lists the names. One file per model family: ``whisper``,
``wav2lip`` (with its video windows), ``vocoders`` (HiFi-GAN, BigVGAN, CosyVoice, Vocos,
F5-TTS, StyleTTS 2), ``kaldi`` (Kaldi's fbank and the speaker models on it), ``funasr``,
``speechbrain``, ``nemo``, ``extractors`` (SeamlessM4T, AST) and ``gemma``; ``common``
holds what several share. The presets whose post-processing is per frame stream
(``fastmel.MelStream(fastmel.preset("wav2lip"))``).
"""

from __future__ import annotations

from typing import Any, Literal, overload

from fastmel.core.errors import ParameterError
from fastmel.feature.frontend import FrontEnd
from fastmel.presets import (
    extractors,
    funasr,
    gemma,
    kaldi,
    nemo,
    speechbrain,
    vocoders,
    wav2lip,
    whisper,
)
from fastmel.presets.common import PCM_SCALE
from fastmel.presets.extractors import AST, SeamlessM4T
from fastmel.presets.funasr import FunASR
from fastmel.presets.gemma import Gemma3n, Gemma4
from fastmel.presets.kaldi import CAMPPlus, Kaldi, WeSpeaker
from fastmel.presets.nemo import NeMo
from fastmel.presets.spec import PresetSpec, Tolerance
from fastmel.presets.speechbrain import SpeechBrain
from fastmel.presets.vocoders import F5TTS, BigVGAN, CosyVoice, HiFiGAN, StyleTTS2, Vocos
from fastmel.presets.wav2lip import Wav2Lip
from fastmel.presets.whisper import Whisper

__all__ = [
    "AST",
    "FAMILIES",
    "PCM_SCALE",
    "PRESETS",
    "PRESET_SPECS",
    "BigVGAN",
    "CAMPPlus",
    "CosyVoice",
    "F5TTS",
    "FrontEnd",
    "FunASR",
    "Gemma3n",
    "Gemma4",
    "HiFiGAN",
    "Kaldi",
    "NeMo",
    "PresetSpec",
    "SeamlessM4T",
    "SpeechBrain",
    "StyleTTS2",
    "Tolerance",
    "Vocos",
    "Wav2Lip",
    "WeSpeaker",
    "Whisper",
    "preset",
]


#: The model families, in the order the registry lists their presets.
FAMILIES = (whisper, wav2lip, vocoders, kaldi, funasr, speechbrain, nemo, extractors, gemma)
#: Every preset's record, by name.
PRESET_SPECS: dict[str, PresetSpec] = {spec.name: spec for f in FAMILIES for spec in f.SPECS}
#: Every preset's module, by name.
PRESETS: dict[str, type[FrontEnd]] = {name: spec.front_end for name, spec in PRESET_SPECS.items()}


@overload
def preset(name: Literal["nemo"], **overrides: Any) -> NeMo: ...  # (its call takes lengths)


@overload
def preset(name: Literal["seamless"], **overrides: Any) -> SeamlessM4T: ...  # (so does its)


@overload
def preset(name: Literal["ast"], **overrides: Any) -> AST: ...  # (and AST's)


@overload
def preset(name: Literal["gemma4"], **overrides: Any) -> Gemma4: ...  # (and Gemma 4's)


@overload
def preset(name: str, **overrides: Any) -> FrontEnd: ...


def preset(name: str, **overrides: Any) -> FrontEnd:
    """The named model front end as a torch module.

    Parameters
    ----------
    name : str
        One of ``PRESETS``: "whisper", "wav2lip", "hifigan", "bigvgan", "cosyvoice", "vocos",
        "f5tts", "styletts2", "kaldi", "campplus", "wespeaker", "funasr", "speechbrain",
        "nemo", "seamless", "ast", "gemma4", "gemma3n".
    **overrides
        The preset's own options (e.g. ``n_mels=128`` and ``max_over="item"`` for Whisper,
        ``pad_mode="reflect"`` for Wav2Lip) or any :class:`MelSpectrogram` keyword
        (e.g. ``dtype=torch.float64``).

    Returns
    -------
    FrontEnd
        ``forward(y)``: ``(..., n) -> (..., n_mels, frames)``.

    Examples
    --------
    >>> import torch, fastmel
    >>> fastmel.preset("whisper")(torch.zeros(16000)).shape
    torch.Size([80, 100])
    """
    if not isinstance(name, str):
        raise TypeError(f"preset name must be a str, got {type(name).__name__}")
    try:
        cls = PRESETS[name]
    except KeyError:
        raise ParameterError(f"preset {name!r} is not one of {sorted(PRESETS)}") from None
    return cls(**overrides)
