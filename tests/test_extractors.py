"""Presets whose reference is a transformers feature extractor itself: seamless
(SeamlessM4T's and w2v-BERT 2.0's input, SeamlessM4TFeatureExtractor: single items, padded
batches with lengths, options), ast (the Audio Spectrogram Transformer's input,
ASTFeatureExtractor) and gemma4 (Gemma 4's audio input, Gemma4AudioFeatureExtractor)."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import torch

import fastmel
from fastmel import MelStream, ParameterError
from fastmel.presets import AST
from tests import references as ref
from tests.conftest import (
    AST_ATOL64,
    GEMMA3N_ATOL64,
    GEMMA4_ATOL64,
    KALDI_ATOL32,
    KALDI_BANK_ATOL,
    PRESET_ATOL,
    SEAMLESS_ATOL64,
    SIGNALS,
    make_signal,
)
from tests.test_nemo import padded_batch
from tests.test_presets import max_abs, stream_in_sizes

# (a mark, not importorskip: tests/test_export.py imports this module's padded batch)
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("transformers") is None,
    reason="transformers (the reference) is not installed",
)

# 1.5 s makes 148 frames (even), 1.51 s 149 (odd: the last row completed by a zero frame)
SECONDS = (1.5, 1.51)
# signals whose bands all hold a fair share of the energy (see KALDI_ATOL32)
FAIR = ("speech", "voiced", "noise")


def audio(kind: str, seconds: float = 1.0, seed: int = 0) -> torch.Tensor:
    return torch.from_numpy(make_signal(kind, 16000, seconds, seed=seed).astype(np.float32))


def band_stds(y: torch.Tensor) -> np.ndarray:
    """Each stacked feature's divisor, ``sqrt(var + 1e-7)`` of its band over the frames of
    ``y`` (float64, ``n - 1``), as a column ``(160, 1)``."""
    log = fastmel.preset("kaldi", input_scale=fastmel.presets.PCM_SCALE, dtype=torch.float64)(
        y.double()
    ).numpy()
    return np.tile(np.sqrt(log.var(axis=-1, ddof=1) + 1e-7), 2)[:, None]


@pytest.mark.parametrize("seconds", SECONDS)
@pytest.mark.parametrize("signal", FAIR)
def test_float32_equals_the_extractor(signal, seconds):
    y = audio(signal, seconds)
    ours = fastmel.preset("seamless")(y)
    theirs = ref.seamless_features(y)
    assert ours.shape == (160, -(-(1 + (len(y) - 400) // 160) // 2))
    err = max_abs(ours, theirs)
    assert err <= PRESET_ATOL["seamless"], f"{signal}, {seconds} s: {err:.3g}"


@pytest.mark.parametrize("seconds", SECONDS)
@pytest.mark.parametrize("signal", SIGNALS)
def test_float64_equals_the_extractor_in_log_units(signal, seconds):
    # the normalised difference times each band's std is the difference in log units
    y = audio(signal, seconds)
    ours = fastmel.preset("seamless", dtype=torch.float64)(y.double()).numpy()
    theirs = ref.seamless_features(y)
    assert ours.shape == theirs.shape
    err = float((np.abs(ours - theirs) * band_stds(y)).max())
    assert err <= SEAMLESS_ATOL64, f"{signal}, {seconds} s: {err:.3g} log units"


@pytest.mark.parametrize("signal", SIGNALS)
def test_unnormalised_log_fbank_equals_the_extractor(signal):
    y = audio(signal, 1.51)
    theirs = ref.seamless_features(y, normalize=False)
    err64 = max_abs(
        fastmel.preset("seamless", normalize=False, dtype=torch.float64)(y.double()), theirs
    )
    assert err64 <= SEAMLESS_ATOL64, f"{signal}: float64 {err64:.3g}"
    if signal != "chirp":  # (see test_float64_equals_the_extractor_in_log_units)
        err32 = max_abs(fastmel.preset("seamless", normalize=False)(y), theirs)
        assert err32 <= KALDI_ATOL32, f"{signal}: float32 {err32:.3g}"


def test_silence_normalises_to_exactly_zero():
    # each band's mean is summed in float64: equal values centre to 0, not to rounding noise
    # magnified by the 1e-7 variance floor
    out = fastmel.preset("seamless")(torch.zeros(2, 16000))
    assert out.shape == (2, 160, 49) and not out.any()
    # (a float64 sum of equal float64 values may round)
    out64 = fastmel.preset("seamless", dtype=torch.float64)(torch.zeros(16000, dtype=torch.float64))
    assert out64.abs().max() <= SEAMLESS_ATOL64


@pytest.mark.parametrize("n_mels", [24, 40, 64])
def test_other_bank_counts_equal_the_extractor(n_mels):
    y = audio("speech", 1.51)
    ours = fastmel.preset("seamless", n_mels=n_mels)(y)
    theirs = ref.seamless_features(y, n_mels=n_mels)
    assert ours.shape == (2 * n_mels, 75)
    err = max_abs(ours, theirs)
    assert err <= PRESET_ATOL["seamless"], f"{n_mels} banks: {err:.3g}"


# items of 1.51 s (149 frames), 0.5 s (48), 2.02 s (200, the longest), 400 samples (one
# frame), 2000 (11 frames) and 399 (none)
LENGTHS = [24160, 8000, 32320, 400, 2000, 399]


def padded(junk: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Items of LENGTHS zero-padded (or padded with loud noise) to the longest."""
    kinds = ["speech", "voiced", "noise", "chirp", "speech", "voiced"]
    n = max(LENGTHS)
    rng = np.random.default_rng(1)
    y = torch.from_numpy(
        rng.standard_normal((len(LENGTHS), n)).astype(np.float32)
        if junk
        else np.zeros((len(LENGTHS), n), np.float32)
    )
    for i, (kind, length) in enumerate(zip(kinds, LENGTHS, strict=True)):
        y[i, :length] = audio(kind, length / 16000 + 0.01, seed=i)[:length]
    return y, torch.tensor(LENGTHS)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # (the extractor's NaN statistics)
def test_padded_batch_with_lengths_equals_the_extractors_batch():
    y, lengths = padded()
    front = fastmel.preset("seamless")
    ours = front(y, lengths=lengths)
    # (the extractor pads the list to its longest item, as y is padded)
    theirs = ref.seamless_features(y, lengths=lengths)
    assert ours.shape == theirs.shape == (len(LENGTHS), 160, 100)
    one_frame = LENGTHS.index(400)  # (the extractor divides by a NaN variance there)
    assert np.isnan(theirs[one_frame]).any() and not ours[one_frame].any()
    keep = [i for i in range(len(LENGTHS)) if i != one_frame]
    err = max_abs(ours[keep], theirs[keep])
    assert err <= PRESET_ATOL["seamless"], f"padded batch: {err:.3g}"
    # feature_lengths: the rows its attention mask marks valid
    extractor = ref.seamless_extractor()
    mask = extractor(
        [row[:n] for row, n in zip(y.numpy(), LENGTHS, strict=True)],
        sampling_rate=16000,
        return_tensors="np",
    )["attention_mask"]
    np.testing.assert_array_equal(front.feature_lengths(lengths).numpy(), mask.sum(-1))


def test_each_padded_item_equals_itself_alone_then_zeros():
    # whatever pads an item (here loud noise) is ignored: its frames never read it
    y, lengths = padded(junk=True)
    front = fastmel.preset("seamless", dtype=torch.float64)
    ours = front(y.double(), lengths=lengths.tolist())
    rows = front.feature_lengths(lengths)
    for i, n in enumerate(LENGTHS):
        frames = max(0, 1 + (n - 400) // 160)
        assert int(rows[i]) == frames // 2
        if frames:
            alone = front(y[i, :n].double())
            np.testing.assert_allclose(ours[i, :, : alone.shape[-1]], alone, rtol=0, atol=1e-12)
        unstacked = ours[i].reshape(2, 80, -1).permute(1, 2, 0).reshape(80, -1)
        assert not unstacked[:, frames:].any(), f"item {i}: frames past its own must be 0"


def test_full_lengths_change_nothing_and_batches_equal_their_items():
    y = torch.stack([audio(kind, 1.0, seed=i) for i, kind in enumerate(FAIR[:2] * 2)])
    y = y.reshape(2, 2, -1)
    front = fastmel.preset("seamless")
    whole = front(y)
    torch.testing.assert_close(front(y, lengths=torch.full((2, 2), y.shape[-1])), whole)
    for i, j in np.ndindex(2, 2):
        torch.testing.assert_close(whole[i, j], front(y[i, j]), rtol=0, atol=1e-5)


def test_one_frame_normalises_to_zero_and_gradients_and_compile_work():
    assert not fastmel.preset("seamless")(audio("speech", 0.03)).any()  # (one frame)
    front = fastmel.preset("seamless", dtype=torch.float64)
    x = audio("speech", 0.05).double().requires_grad_()
    assert torch.autograd.gradcheck(
        lambda x: front(x)[:6], (x,), eps=1e-6, atol=1e-4, fast_mode=True
    )
    torch._dynamo.reset()
    y, lengths = padded()
    compiled = torch.compile(fastmel.preset("seamless"), fullgraph=True)
    eager = fastmel.preset("seamless")(y, lengths=lengths).numpy()
    err = max_abs(compiled(y, lengths=lengths), eager)
    assert err <= PRESET_ATOL["seamless"], f"compiled: {err:.3g}"


def test_bad_options_inputs_and_streams_are_named():
    for name in ("snip_edges", "subtract_mean"):
        with pytest.raises(ParameterError, match=f"{name} is fixed"):
            fastmel.preset("seamless", **{name: False})
    with pytest.raises(TypeError, match="normalize must be a bool"):
        fastmel.preset("seamless", normalize="yes")
    with pytest.raises(ParameterError, match="shorter than one frame"):
        fastmel.preset("seamless")(torch.zeros(399))
    with pytest.raises(ParameterError, match=r"lengths has shape \(1,\)"):
        fastmel.preset("seamless")(torch.zeros(2, 16000), lengths=[16000])
    with pytest.raises(ParameterError, match=r"from 5 to 16001"):
        fastmel.preset("seamless")(torch.zeros(2, 16000), lengths=[16001, 5])
    with pytest.raises(ParameterError, match="SeamlessM4T cannot stream: each band's mean"):
        MelStream(fastmel.preset("seamless"))
    assert "normalize=True" in repr(fastmel.preset("seamless"))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # (the extractor's NaN statistics)
def test_extractor_errors_stay_within_tolerance_over_every_signal():
    worst = {
        "float32, normalised units": 0.0,
        "float64, log units": 0.0,
        "float32 unnormalised, log units": 0.0,
    }
    for signal in SIGNALS:
        for seconds in SECONDS:
            y = audio(signal, seconds)
            theirs = ref.seamless_features(y)
            if signal in FAIR:
                err = max_abs(fastmel.preset("seamless")(y), theirs)
                worst["float32, normalised units"] = max(worst["float32, normalised units"], err)
            ours64 = fastmel.preset("seamless", dtype=torch.float64)(y.double()).numpy()
            err = float((np.abs(ours64 - theirs) * band_stds(y)).max())
            worst["float64, log units"] = max(worst["float64, log units"], err)
            if signal != "chirp":
                err = max_abs(
                    fastmel.preset("seamless", normalize=False)(y),
                    ref.seamless_features(y, normalize=False),
                )
                key = "float32 unnormalised, log units"
                worst[key] = max(worst[key], err)
    y, lengths = padded()
    keep = [i for i, n in enumerate(LENGTHS) if n != 400]  # (the extractor's NaN item)
    err = max_abs(
        fastmel.preset("seamless")(y, lengths=lengths)[keep],
        ref.seamless_features(y, lengths=lengths)[keep],
    )
    worst["float32, normalised units"] = max(worst["float32, normalised units"], err)
    for signal in SIGNALS:  # (ast: 1.5 s padded, 12 s truncated; float32 but on the chirp)
        for seconds in (1.5, 12.0):
            y = audio(signal, seconds)
            theirs = ref.ast_features(y)
            err64 = max_abs(fastmel.preset("ast", dtype=torch.float64)(y.double()), theirs)
            worst["ast float64"] = max(worst.get("ast float64", 0.0), err64)
            if signal != "chirp":
                err = max_abs(fastmel.preset("ast")(y), theirs)
                worst["ast float32"] = max(worst.get("ast float32", 0.0), err)
    bounds = {
        "ast float32": PRESET_ATOL["ast"],
        "ast float64": AST_ATOL64,
        "float32, normalised units": PRESET_ATOL["seamless"],
        "float64, log units": SEAMLESS_ATOL64,
        "float32 unnormalised, log units": KALDI_ATOL32,
    }
    for key, err in worst.items():
        assert err <= bounds[key], f"{key}: {err:.3g} > {bounds[key]}"


# ---- ast ------------------------------------------------------------------------------------


@pytest.mark.parametrize("seconds", [1.5, 12.0])  # (padded to 1024 frames; truncated)
@pytest.mark.parametrize("signal", SIGNALS)
def test_ast_equals_the_extractor(signal, seconds):
    y = audio(signal, seconds)
    theirs = ref.ast_features(y)
    err64 = max_abs(fastmel.preset("ast", dtype=torch.float64)(y.double()), theirs)
    assert err64 <= AST_ATOL64, f"{signal}, {seconds} s: float64 {err64:.3g}"
    if signal != "chirp":  # (float32 FFT noise in its near-silent bands: see KALDI_ATOL32)
        ours = fastmel.preset("ast")(y)
        assert ours.shape == (128, 1024)
        err = max_abs(ours, theirs)
        assert err <= PRESET_ATOL["ast"], f"{signal}, {seconds} s: {err:.3g}"


@pytest.mark.parametrize(
    "kw", [dict(n_mels=64, max_length=300), dict(normalize=False), dict(max_length=None)], ids=str
)
def test_ast_options_equal_the_extractors(kw):
    y = torch.stack([audio("speech", 2.0), audio("noise", 2.0, seed=1)])
    ours = fastmel.preset("ast", **kw)(y)
    frames = 1 + (y.shape[-1] - 400) // 160
    ref_kw = {**kw, "max_length": kw.get("max_length", 1024) or frames}
    theirs = ref.ast_features(y, **ref_kw)
    err = max_abs(ours, theirs)
    # The tolerance is in AST's output units, (x - mean) / (2 std); without the
    # normalisation the output is in log units, 2 std times larger (the noise item's lowest
    # band, weakened by the pre-emphasis, holds float32 FFT noise of ~1e-3 log units).
    tolerance = PRESET_ATOL["ast"] * (1.0 if kw.get("normalize", True) else 2 * AST.AUDIOSET_STD)
    assert err <= tolerance, f"{kw}: {err:.3g}"


@pytest.mark.parametrize("sizes", [[640], [1], [257, 0, 1023, 5], [4096]], ids=str)
def test_ast_without_max_length_streams_exactly(sizes):
    front = fastmel.preset("ast", max_length=None)
    y = torch.stack([audio("speech", 1.0), audio("voiced", 1.0, seed=1)])
    streamed = stream_in_sizes(MelStream(front), y, sizes)
    assert max_abs(streamed, front(y).numpy()) <= 1e-5
    with pytest.raises(ParameterError, match="AST cannot stream: the padding or truncation"):
        MelStream(fastmel.preset("ast"))


def test_ast_bank_holds_an_empty_band_as_torchaudio_does():
    # Kaldi refuses a bank without an FFT bin; torchaudio's fbank (AST's) keeps it at 0
    with pytest.raises(ParameterError, match="mel bank 3 holds no FFT bin"):
        fastmel.kaldi_mel_filters(sr=16000, n_fft=512, n_mels=128)
    banks = fastmel.kaldi_mel_filters(sr=16000, n_fft=512, n_mels=128, allow_empty_banks=True)
    assert np.flatnonzero(~banks.any(axis=1)).tolist() == [3]
    theirs = getattr(ref.ast_extractor(), "mel_filters", None)  # (its NumPy steps' bank)
    if theirs is not None:  # (float64, Kaldi's formulas)
        np.testing.assert_allclose(banks, theirs.T, rtol=0, atol=KALDI_BANK_ATOL)
    out = fastmel.preset("ast", normalize=False, max_length=None)(audio("noise"))
    assert torch.all(out[3] == np.log(np.finfo(np.float32).eps))


def test_ast_padded_batch_with_lengths_equals_the_extractors_items():
    y, lengths = padded(junk=True)  # (whatever pads an item is ignored)
    for max_length in (1024, 120):  # (each item padded; the longer ones truncated)
        ours = fastmel.preset("ast", max_length=max_length)(y, lengths=lengths)
        theirs = ref.ast_features(y, max_length=max_length, lengths=lengths)
        err = max_abs(ours, theirs)
        assert err <= PRESET_ATOL["ast"], f"max_length={max_length}: {err:.3g}"
    # without max_length: each item's frames as alone, then the normalised zero frames
    front = fastmel.preset("ast", max_length=None)
    out = front(y, lengths=lengths.tolist())
    assert out.shape == (len(LENGTHS), 128, 200)
    zero = (0 - front.mean) / (2 * front.std)
    for i, n in enumerate(LENGTHS):
        frames = max(0, 1 + (n - 400) // 160)
        if frames:
            torch.testing.assert_close(out[i, :, :frames], front(y[i, :n]), rtol=0, atol=1e-5)
        assert torch.allclose(out[i, :, frames:], torch.tensor(zero), rtol=0, atol=1e-6), i
    torch._dynamo.reset()
    compiled = torch.compile(fastmel.preset("ast"), fullgraph=True)
    err = max_abs(compiled(y, lengths=lengths), fastmel.preset("ast")(y, lengths=lengths).numpy())
    assert err <= PRESET_ATOL["ast"], f"compiled: {err:.3g}"


@pytest.mark.skipif(not torch.cuda.is_available(), reason="CUDA is not available")
@pytest.mark.parametrize("name", ["nemo", "seamless", "ast"])
def test_padded_batch_on_cuda_needs_no_sync_and_equals_the_cpu(name):
    # (every preset whose call takes lengths; NeMo's batch is tests/test_nemo.py's)
    y, lengths = padded_batch() if name == "nemo" else padded()
    front = fastmel.preset(name)
    expected = front(y, lengths=lengths).numpy()
    gpu, y, lengths = front.cuda(), y.cuda(), lengths.cuda()
    gpu(y, lengths=lengths)  # (warm: cuFFT plans)
    torch.cuda.set_sync_debug_mode("error")
    try:
        out = gpu(y, lengths=lengths)
    finally:
        torch.cuda.set_sync_debug_mode(0)
    err = max_abs(out.cpu(), expected)
    assert err <= PRESET_ATOL[name], f"CUDA against CPU: {err:.3g}"


def test_ast_takes_gradients_padded_truncated_and_framewise():
    # (its normalisation runs in place on tensors of its own: autograd must still see it)
    x = audio("speech", 0.05).double().requires_grad_()
    for max_length in (8, 2, None):  # (4 frames: padded, truncated, as they are)
        front = fastmel.preset("ast", max_length=max_length, dtype=torch.float64)
        assert torch.autograd.gradcheck(
            lambda x, f=front: f(x)[20:26], (x,), eps=1e-6, atol=1e-4, fast_mode=True
        ), max_length


def test_ast_bad_options_are_named():
    bad = [
        (dict(max_length=0), ParameterError, "max_length"),
        (dict(std=0.0), ParameterError, "std"),
        (dict(mean=float("nan")), ParameterError, "mean"),
        (dict(normalize=1), TypeError, "normalize"),
        (dict(subtract_mean=True), ParameterError, "subtract_mean"),
        (dict(snip_edges=False), ParameterError, "snip_edges is fixed"),
    ]
    for kw, error, match in bad:
        with pytest.raises(error, match=match):
            fastmel.preset("ast", **kw)
    assert "max_length=1024, normalize=True" in repr(fastmel.preset("ast"))
    with pytest.raises(ParameterError, match=r"lengths has shape \(1,\)"):
        fastmel.preset("ast")(torch.zeros(2, 16000), lengths=[16000])


# ---- gemma4, gemma3n -------------------------------------------------------------------------

# For each: lengths around its frame boundaries, its frame count, its float64 bound.
GEMMA = {
    "gemma4": ((16000, 16001, 16160, 16161, 24000), lambda n: (n - 161) // 160 + 1, GEMMA4_ATOL64),
    "gemma3n": ((16000, 16352, 16353, 24000), lambda n: (n - 513) // 160 + 1, GEMMA3N_ATOL64),
}


@pytest.mark.parametrize("signal", SIGNALS)
@pytest.mark.parametrize("name", GEMMA)
def test_gemma_equals_the_extractor(name, signal):
    lengths, frames, atol64 = GEMMA[name]
    for n in lengths:
        y = audio(signal, n / 16000 + 0.01)[:n]
        theirs = ref.gemma_features(name, y)  # (not padded to 128: every frame its own)
        assert theirs.shape == (128, frames(n))
        if signal != "chirp":  # (float32 FFT noise in its near-silent bands, theirs and ours)
            err = max_abs(fastmel.preset(name)(y), theirs)
            assert err <= PRESET_ATOL[name], f"{signal}, {n} samples: {err:.3g}"
        # float64: the extractor's own steps on float64 audio (its FFT then in float64)
        steps, _ = ref.gemma_extractor(name)._extract_spectrogram(
            y.double().numpy()[None], np.ones(n, np.int32)
        )
        err64 = max_abs(fastmel.preset(name, dtype=torch.float64)(y.double()), steps.T)
        assert err64 <= atol64, f"{signal}, {n} samples: float64 {err64:.3g}"


@pytest.mark.parametrize("name", GEMMA)
def test_gemma_padded_batch_equals_the_extractors_batch(name):
    # Gemma 4 zeroes each item's frames that reach past its length (lengths=); Gemma 3n
    # keeps the frames its zero padding makes, as the preset on the padded batch does
    lengths = [24000, 16161, 8000, 100]  # (the last makes no frame of its own)
    n = -(-max(lengths) // 128) * 128  # (it pads the batch to a multiple of 128 samples)
    y = torch.zeros(len(lengths), n)
    for i, (kind, length) in enumerate(
        zip(("speech", "voiced", "noise", "speech"), lengths, strict=True)
    ):
        y[i, :length] = audio(kind, length / 16000 + 0.01, seed=i)[:length]
    if name == "gemma4":  # (whatever pads an item is ignored)
        rng = np.random.default_rng(2)
        junk = torch.from_numpy(rng.standard_normal(y.shape).astype(np.float32))
        past = torch.arange(n) >= torch.tensor(lengths)[:, None]
        ours = fastmel.preset(name)(torch.where(past, junk, y), lengths=torch.tensor(lengths))
    else:
        ours = fastmel.preset(name)(y)
    theirs = ref.gemma_features(name, y, lengths=lengths, pad_to_multiple_of=128)
    assert ours.shape == theirs.shape == (4, 128, GEMMA[name][1](n))
    err = max_abs(ours, theirs)
    print(f"\n{name} padded batch: max|ours - extractor| = {err:.3g}")
    assert err <= PRESET_ATOL[name], f"padded batch: {err:.3g}"


@pytest.mark.parametrize("name", GEMMA)
def test_gemma_per_bin_normalisation_and_options(name):
    y = torch.stack([audio("speech", 1.0), audio("noise", 1.0, seed=1)])
    mean, std = ref.GEMMA_PER_BIN
    ours = fastmel.preset(name, per_bin_mean=mean, per_bin_stddev=std)(y)
    err = max_abs(ours, ref.gemma_features(name, y, per_bin=True))
    print(f"\n{name} per-bin: max|ours - extractor| = {err:.3g}")
    assert err <= PRESET_ATOL[name], f"per-bin: {err:.3g}"
    bad = [
        (dict(mel_floor=0.0), ParameterError, "mel_floor"),
        (dict(per_bin_mean=[0.0] * 80), ParameterError, "per_bin_mean"),
        (dict(per_bin_stddev=[0.0] * 128), ParameterError, "per_bin_stddev"),
        (dict(per_bin_mean="x"), TypeError, "per_bin_mean"),
    ]
    bad += [(dict(n_fft=1024), ParameterError, "n_fft is fixed")] if name == "gemma4" else []
    for kw, error, match in bad:
        with pytest.raises(error, match=match):
            fastmel.preset(name, **kw)
    cls = type(fastmel.preset(name)).__name__
    with pytest.raises(ParameterError, match=f"{cls} cannot stream: its frame count"):
        MelStream(fastmel.preset(name))
    assert "per_bin_mean=False" in repr(fastmel.preset(name))


def test_gemma_inputs_that_make_no_frame():
    assert fastmel.preset("gemma4")(torch.zeros(160)).shape == (128, 0)  # (as its extractor)
    assert fastmel.preset("gemma3n")(torch.zeros(512)).shape == (128, 0)  # (513 needed)
    with pytest.raises(ParameterError, match="shorter than one frame"):
        fastmel.preset("gemma3n")(torch.zeros(511))  # (where its extractor gives no frame)


def test_gemma3n_bank_and_window_are_its_extractors():
    extractor = ref.gemma_extractor("gemma3n")
    np.testing.assert_array_equal(
        fastmel.core.filters.gemma3n_mel_filters(sr=16000, n_fft=1024), extractor.mel_filters.T
    )
    mel = fastmel.preset("gemma3n").mel
    np.testing.assert_array_equal(mel.config.window64().astype(np.float32), extractor.window)
