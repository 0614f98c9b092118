"""Model front ends: each fastmel preset against the code its model runs.

``model_code(name, y)`` is the model's own front end on ``y``: openai-whisper's
``log_mel_spectrogram`` and kaldi-native-fbank's ``OnlineFbank`` themselves (Whisper's
transcription where openai-whisper is not installed), and Wav2Lip's, HiFi-GAN's,
BigVGAN's, CosyVoice's (its mel, and its CAM++ input from torchaudio's Kaldi fbank),
pyannote.audio's (WeSpeaker's input, also from it), FunASR's (SenseVoice's input, from it
and its frame stacking), SpeechBrain's (ECAPA-TDNN's input), Vocos', F5-TTS', StyleTTS 2's
and NeMo's code as ``tests/references.py`` transcribes it (with its constants cached, as
the models cache them; SpeechBrain's bank too, which its ``Filterbank`` rebuilds per
call); SeamlessM4T's (w2v-BERT 2.0's), AST's, Gemma 4's and Gemma 3n's are transformers'
``SeamlessM4TFeatureExtractor``, ``ASTFeatureExtractor``, ``Gemma4AudioFeatureExtractor``
and ``Gemma3nAudioFeatureExtractor`` themselves. Whisper and NeMo are
also timed against the feature extractor transformers' pipelines run
(``transformers_extractor``). Needs a source checkout (``tests``).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

import fastmel
from bench.peers import Unavailable, as_numpy
from bench.timing import (
    STREAM_CHUNK_S,
    cycling_push,
    speech,
    threads,
    time_interleaved,
    timing_records,
)

FRONTEND_LENGTHS_S = [1.0, 10.0]
FASTMEL, CODE, EXTRACTOR = "fastmel preset", "model's code", "transformers extractor"
FASTMEL_PUSH = "fastmel MelStream(preset('kaldi')).push"
KNF_PUSH = "kaldi-native-fbank OnlineFbank.accept_waveform"


def sample_rate(name: str) -> int:
    """The preset's default rate (as the CLI reads it)."""
    return int(fastmel.PRESETS[name].audio_rate())


def knf_options(sr: int = 16000, n_mels: int = 80):
    """kaldi-native-fbank's options for Kaldi's fbank (its defaults, ``n_mels`` bins, no
    dither), as the ``kaldi`` preset's defaults."""
    try:
        import kaldi_native_fbank as knf  # pyright: ignore[reportMissingImports]
    except ImportError as e:
        raise Unavailable(f"kaldi-native-fbank: {e}") from None
    opts = knf.FbankOptions()
    opts.frame_opts.dither, opts.frame_opts.samp_freq = 0.0, sr
    opts.mel_opts.num_bins = n_mels
    return knf, opts


def knf_frames(fbank, start: int, n_mels: int) -> np.ndarray:
    """The frames ``fbank`` has ready from ``start`` on, ``(n_mels, k)``."""
    frames = [fbank.get_frame(i) for i in range(start, fbank.num_frames_ready)]
    return np.stack(frames, 1) if frames else np.zeros((n_mels, 0), np.float32)


def model_code(name: str, y: np.ndarray) -> tuple[str, Callable[[], object]]:
    """What runs the model's own front end, and a zero-argument callable running it on
    ``y`` (shape (n,)): the model's library where it is installed (openai-whisper,
    kaldi-native-fbank, transformers' extractors), else the steps of its record's reference
    (tests/references.py)."""
    from tests import references as ref

    spec = fastmel.presets.PRESET_SPECS[name]
    yt = torch.from_numpy(y)
    if name == "whisper":
        try:
            from whisper.audio import log_mel_spectrogram  # pyright: ignore[reportMissingImports]
        except ImportError:
            pass
        else:
            return "openai-whisper log_mel_spectrogram", lambda: log_mel_spectrogram(yt)
    if name == "kaldi":
        knf, opts = knf_options(sample_rate(name))

        def run() -> np.ndarray:
            fbank = knf.OnlineFbank(opts)
            fbank.accept_waveform(opts.frame_opts.samp_freq, y)
            fbank.input_finished()
            return knf_frames(fbank, 0, opts.mel_opts.num_bins)

        return "kaldi-native-fbank OnlineFbank", run
    if name in ("seamless", "ast", "gemma4", "gemma3n"):  # (their code: transformers')
        try:
            extractor = (
                ref.gemma_extractor(name)
                if name.startswith("gemma")
                else {"seamless": ref.seamless_extractor, "ast": ref.ast_extractor}[name]()
            )
        except ImportError as e:
            raise Unavailable(f"transformers: {e}") from None
        key = "input_values" if name == "ast" else "input_features"
        kw = dict(pad_to_multiple_of=None) if name.startswith("gemma") else {}  # (y's frames)
        return (
            f"transformers {type(extractor).__name__}",
            lambda: extractor([y], sampling_rate=16000, return_tensors="np", **kw)[key][0].T,
        )
    reference = getattr(ref, spec.reference)
    return f"{spec.model} (tests/references.py)", lambda: reference(yt)


def transformers_extractor(name: str, y: np.ndarray) -> tuple[str, Callable[[], object]]:
    """transformers' feature extractor for the preset's model, computing what the preset
    computes on ``y`` (shape (n,)): its name and a zero-argument callable."""
    try:
        import transformers  # pyright: ignore[reportMissingImports]

        if name == "whisper":  # (the item's own length rather than 30 s, as the preset)
            whisper = transformers.WhisperFeatureExtractor()
            return "transformers WhisperFeatureExtractor", lambda: whisper(
                y, sampling_rate=16000, padding="longest", return_tensors="np"
            )["input_features"][0]
        parakeet = transformers.ParakeetFeatureExtractor(feature_size=128)  # (the preset's)
    except ImportError as e:  # (also transformers' classes refusing this torch)
        raise Unavailable(f"transformers: {e}") from None
    return (
        "transformers ParakeetFeatureExtractor",
        lambda: parakeet(y, sampling_rate=16000, return_tensors="np")["input_features"][0].T,
    )


def max_abs_diff(a: object, b: object) -> float:
    a, b = as_numpy(a).astype(np.float64), as_numpy(b).astype(np.float64)
    if a.shape != b.shape:
        raise AssertionError(f"shapes differ: {a.shape} and {b.shape}")
    return float(np.abs(a - b).max())


def preset_scenario(name: str, seconds: float, budget_s: float) -> list[dict]:
    """fastmel's preset against the model's code (and, for Whisper and NeMo, transformers'
    extractor) on ``seconds`` of speech (1 thread, batch 1). Each peer's record holds the
    largest difference of its output from the preset's (the preset's own: from the code's)."""
    y = speech(sample_rate(name), seconds, 1)
    front, yt = fastmel.preset(name), torch.from_numpy(y)
    scenario = dict(preset=name, seconds=seconds, batch=1, threads=1, device="cpu")
    fns: dict[str, Callable[[], object]] = {FASTMEL: lambda: front(yt)}
    labels, skipped = {}, []
    peers = [(CODE, model_code)] + (
        [(EXTRACTOR, transformers_extractor)] if name in ("whisper", "nemo") else []
    )
    for peer, make in peers:
        try:
            labels[peer], fns[peer] = make(name, y)
        except Unavailable as e:
            skipped.append(dict(scenario, peer=peer, skipped=str(e)))
    if len(fns) == 1:
        return skipped
    with threads(1):
        ours = fns[FASTMEL]()
        errs = {peer: max_abs_diff(ours, fn()) for peer, fn in fns.items() if peer != FASTMEL}
        times = time_interleaved(fns, budget_s=budget_s)
    records = timing_records(times, FASTMEL, scenario)
    for r in records:
        peer = r["peer"]
        r.update(max_abs_diff=errs.get(peer, errs.get(CODE, np.nan)), code=labels.get(peer, ""))
    return records + skipped


def kaldi_stream_scenario(budget_s: float, batch: int = 1) -> list[dict]:
    """One push of 40 ms into ``batch`` Kaldi fbank streams: ``MelStream(preset("kaldi"))``
    fed ``(batch, chunk)`` against ``batch`` ``OnlineFbank`` objects, each fed its row with
    ``accept_waveform`` and the frames it makes ready read out (1 thread)."""
    sr = sample_rate("kaldi")
    chunk = int(round(STREAM_CHUNK_S * sr))
    scenario = dict(preset="kaldi", chunk=chunk, batch=batch, threads=1, device="cpu")
    try:
        knf, opts = knf_options(sr)
    except Unavailable as e:
        return [dict(scenario, peer=KNF_PUSH, skipped=str(e))]
    y = speech(sr, 30.0, batch).reshape(batch, -1)
    chunks = [y[:, i : i + chunk] for i in range(0, y.shape[-1] - chunk + 1, chunk)]
    stream = fastmel.MelStream(fastmel.preset("kaldi"))
    state: dict = {}

    def knf_push() -> np.ndarray:
        if state.get("i", len(chunks)) == len(chunks):
            state.update(fbanks=[knf.OnlineFbank(opts) for _ in range(batch)], i=0, done=0)
        rows, done = chunks[state["i"]], state["done"]
        out = []
        for fbank, row in zip(state["fbanks"], rows, strict=True):
            fbank.accept_waveform(sr, row)
            out.append(knf_frames(fbank, done, opts.mel_opts.num_bins))
        state["i"] += 1
        state["done"] = state["fbanks"][0].num_frames_ready  # (the same for every stream)
        return np.stack(out)

    fns = {
        FASTMEL_PUSH: cycling_push(stream, [torch.from_numpy(c) for c in chunks]),
        KNF_PUSH: knf_push,
    }
    with threads(1):
        outs = {name: [fn() for _ in chunks] for name, fn in fns.items()}
        ours, theirs = (np.concatenate([as_numpy(o) for o in v], -1) for v in outs.values())
        err = max_abs_diff(ours, theirs)
        times = time_interleaved(fns, budget_s=budget_s, rounds=11, max_calls=2000)
    records = timing_records(times, FASTMEL_PUSH, scenario)
    for r in records:
        r["max_abs_diff"] = err
    return records
