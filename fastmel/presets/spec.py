"""A preset as one declarative record: its front end, the code it equals, its tolerances.

The registry in :mod:`fastmel.presets` is built from the ``SPECS`` of each family's file;
the tests, the benchmarks and the parity report read it, so that adding a preset touches
its own file and its reference transcription (``tests/references.py``) only.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect

from fastmel.feature.frontend import FrontEnd

__all__ = ["PresetSpec", "Tolerance"]


@dataclasses.dataclass(frozen=True)
class Tolerance:
    """What the tests hold a preset to: ``max|ours - reference|`` in its output units.

    Attributes
    ----------
    float32 : float
        The float32 preset against its reference's own float32 steps (or, where the
        reference computes in float64, against those), on realistic signals.
    float64 : float or None
        The float64 preset against its ``reference64`` (None: not compared in float64).
    onnx : float
        The preset exported to ONNX and run in ONNX Runtime (float32), against the reference.
    """

    float32: float
    float64: float | None = None
    onnx: float | None = None

    @property
    def exported(self) -> float:
        """The ONNX tolerance (the float32 one where none is set)."""
        return self.float32 if self.onnx is None else self.onnx


@dataclasses.dataclass(frozen=True)
class PresetSpec:
    """One preset of the registry.

    Attributes
    ----------
    name : str
        The name ``fastmel.preset(name)`` takes.
    front_end : type[FrontEnd]
        Its module.
    model : str
        The model code it equals, as a citation (project, file, function).
    reference : str
        The function of ``tests/references.py`` that runs or transcribes that code, called
        as ``reference(y, **options)`` on a float tensor ``(..., n)``.
    tolerance : Tolerance
        What the tests hold it to.
    reference64 : str or None
        The function of ``tests/references.py`` that runs the model's steps in float64 on
        float64 audio, where there is one (its ``tolerance.float64`` then applies).
    """

    name: str
    front_end: type[FrontEnd]
    model: str
    reference: str
    tolerance: Tolerance
    reference64: str | None = None

    def __post_init__(self) -> None:
        if (self.reference64 is None) != (self.tolerance.float64 is None):
            raise ValueError(f"{self.name}: a float64 reference needs a float64 tolerance")

    @property
    def audio_rate(self) -> float:
        """The rate of the model's audio (what the CLI resamples files to)."""
        return self.front_end.audio_rate()

    @functools.cached_property
    def streams(self) -> bool:
        """Whether its default configuration streams (its post-processing is per frame;
        some presets decide it from their options, so a default one is built to say)."""
        return bool(self.front_end().causal)

    @functools.cached_property
    def options(self) -> tuple[str, ...]:
        """The keywords the preset documents as its own (its constructors' keyword-only
        parameters, and those of the Kaldi spectrogram it forwards options to); any other
        :class:`~fastmel.MelSpectrogram` keyword is an override of the model's settings."""
        names: list[str] = []

        def take(fn: object) -> bool:
            params = inspect.signature(fn).parameters.values()  # type: ignore[arg-type]
            names.extend(p.name for p in params if p.kind is p.KEYWORD_ONLY and p.name not in names)
            return any(p.kind is p.VAR_KEYWORD for p in params)

        forwards = False
        for klass in self.front_end.__mro__:
            if klass is FrontEnd:
                break
            if "__init__" in vars(klass):
                forwards |= take(vars(klass)["__init__"])
        spectrogram = getattr(self.front_end, "SPECTROGRAM", None)
        if forwards and spectrogram is not None:  # (Kaldi's family: options go to its fbank)
            take(spectrogram)
        return tuple(n for n in names if n != "dtype")

    @property
    def why_not_streaming(self) -> str:
        """What needs the whole input, where it does not stream ("" where it does)."""
        return "" if self.streams else self.front_end.whole_input_statistic
