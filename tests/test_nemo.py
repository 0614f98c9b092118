"""The ``nemo`` preset equals NeMo's ``FilterbankFeatures`` (eval mode), as tests/references.py
transcribes it, over its options, lengths, dtypes and streams."""

from __future__ import annotations

import pytest
import torch

import fastmel
from fastmel import MelStream, ParameterError
from tests import references as ref
from tests.conftest import NEMO_ATOL64, PRESET_ATOL, make_signal
from tests.test_presets import max_abs, stream_in_sizes

SIGNALS = ["speech", "voiced", "chirp", "noise", "fullscale"]


def audio(kind: str, sr: int = 16000, seconds: float = 1.5, dtype=torch.float32) -> torch.Tensor:
    return torch.from_numpy(make_signal(kind, sr, seconds)).to(dtype)


def check(ours: torch.Tensor, theirs: torch.Tensor, atol: float, what: str) -> float:
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != {theirs.shape}"
    err = max_abs(ours, theirs)
    assert err <= atol, f"{what}: max|ours - NeMo's steps| = {err:.3g} > {atol}"
    return err


@pytest.mark.parametrize("signal", SIGNALS)
@pytest.mark.parametrize("normalize", ["per_feature", None])
@pytest.mark.parametrize("n_mels,pad_to", [(128, 0), (80, 16), (64, 5)])
def test_float32_equals_nemos_steps(signal, normalize, n_mels, pad_to):
    y = audio(signal)
    kw = dict(n_mels=n_mels, normalize=normalize, pad_to=pad_to)
    check(fastmel.preset("nemo", **kw)(y), ref.nemo_features(y, **kw), PRESET_ATOL["nemo"], signal)


@pytest.mark.parametrize("signal", [*SIGNALS, "silence"])
@pytest.mark.parametrize("normalize", ["per_feature", None])
def test_float64_equals_nemos_steps_in_float64(signal, normalize):
    y = audio(signal, dtype=torch.float64)
    ours = fastmel.preset("nemo", normalize=normalize, dtype=torch.float64)(y)
    assert ours.dtype == torch.float64
    check(ours, ref.nemo_features(y, normalize=normalize), NEMO_ATOL64, signal)


@pytest.mark.parametrize("window", ["hann", "hamming", "blackman", "bartlett", "none"])
def test_windows_are_torchs_symmetric_ones(window):
    y = audio("speech", dtype=torch.float64)
    ours = fastmel.preset("nemo", window=window, dtype=torch.float64)(y)
    check(ours, ref.nemo_features(y, window=window), NEMO_ATOL64, window)


@pytest.mark.parametrize("sr", [8000, 22050, 44100])
def test_other_rates_take_nemos_frame_sizes(sr):
    # 25 ms and 10 ms truncated to samples, n_fft the next power of two (22.05 kHz: 551,
    # 220, 1024), fmax at Nyquist
    front = fastmel.preset("nemo", sr=sr, dtype=torch.float64)
    c = front.mel.config
    assert (c.win_length, c.hop_length, c.n_fft) == (
        int(0.025 * sr), int(0.01 * sr), 1 << (int(0.025 * sr) - 1).bit_length()
    )
    y = audio("voiced", sr, 1.0, torch.float64)
    check(front(y), ref.nemo_features(y, sr=sr), NEMO_ATOL64, f"{sr} Hz")


@pytest.mark.parametrize("n", [1, 100, 159, 160, 161, 319, 320, 481, 16000])
@pytest.mark.parametrize("normalize", ["per_feature", None])
@pytest.mark.parametrize("pad_to", [0, 16])
def test_valid_frames_and_zeros_as_nemo_counts_them(n, normalize, pad_to):
    # NeMo's valid frames are n // hop: none below one hop (all zeros), one up to two hops
    # (normalised to 0: its std is 0/0, taken as 0)
    y = audio("speech", seconds=1.0, dtype=torch.float64)[:n]
    ours = fastmel.preset("nemo", normalize=normalize, pad_to=pad_to, dtype=torch.float64)(y)
    frames = 1 + n // 160
    assert ours.shape[-1] == (-(-frames // pad_to) * pad_to if pad_to else frames)
    assert not ours[:, n // 160 :].any(), "frames past NeMo's length must be 0"
    if normalize and n // 160 == 1:
        assert not ours.any()
    check(ours, ref.nemo_features(y, normalize=normalize, pad_to=pad_to), NEMO_ATOL64, f"n={n}")


def test_batch_items_are_normalised_each_on_its_own():
    y = torch.stack([audio(k, seconds=1.0) for k in ("speech", "noise", "voiced")])
    y = (y * torch.tensor([[1.0], [0.01], [3.0]])).reshape(3, 1, -1)
    out = fastmel.preset("nemo")(y)
    assert out.shape == (3, 1, 128, 101)
    check(out, ref.nemo_features(y), PRESET_ATOL["nemo"], "batch")
    for i in range(3):
        check(out[i, 0], ref.nemo_features(y[i, 0]), PRESET_ATOL["nemo"], f"item {i}")


def test_per_feature_equals_transformers_parakeet_feature_extractor():
    # Hugging Face's port of NeMo's front end for Parakeet: a second implementation. Its
    # batches pad items to the longest and mask them as NeMo does: each item computed on
    # its own by the preset equals its row, up to that row's own frames, then zeros.
    transformers = pytest.importorskip("transformers", reason="transformers not installed")
    try:  # (a dummy class that raises where transformers does not support this torch)
        transformers.ParakeetFeatureExtractor()
    except ImportError as e:
        pytest.skip(f"transformers' ParakeetFeatureExtractor does not run here: {e}")
    lengths = {"speech": 1.5, "noise": 1.2, "voiced": 0.7}
    items = [audio(kind, seconds=seconds) for kind, seconds in lengths.items()]
    for n_mels in (80, 128):
        extractor = transformers.ParakeetFeatureExtractor(feature_size=n_mels)
        theirs = extractor([y.numpy() for y in items], sampling_rate=16000, return_tensors="pt")
        front = fastmel.preset("nemo", n_mels=n_mels)
        for i, y in enumerate(items):
            row = theirs["input_features"][i].T
            ours = front(y)
            check(ours, row[:, : ours.shape[-1]], PRESET_ATOL["nemo"], f"{n_mels} mels, item {i}")
            assert not row[:, ours.shape[-1] - 1 :].any()
            assert int(theirs["attention_mask"][i].sum()) == y.shape[-1] // 160


@pytest.mark.parametrize("pad_to", [0, 16])
@pytest.mark.parametrize("sizes", [[640], [1], [159, 0, 161, 2000], [8000]], ids=str)
def test_unnormalised_features_stream_exactly(pad_to, sizes):
    front = fastmel.preset("nemo", normalize=None, pad_to=pad_to)
    y = torch.stack([audio("speech", seconds=1.01), audio("chirp", seconds=1.01)])
    stream = MelStream(front)
    streamed = stream_in_sizes(stream, y, sizes)
    check(streamed, front(y), 1e-5, "stream against offline")
    check(streamed, ref.nemo_features(y, normalize=None, pad_to=pad_to), PRESET_ATOL["nemo"],
          "stream against NeMo's steps")  # fmt: skip
    # every STFT frame went through the stream, the last (which NeMo sets to 0) at the flush
    assert stream.frames_emitted == 1 + y.shape[-1] // 160


def test_per_feature_normalisation_refuses_to_stream_and_says_what_streams():
    with pytest.raises(ParameterError, match="normalize=None streams"):
        MelStream(fastmel.preset("nemo"))


def test_nemo_front_end_takes_gradients():
    y = audio("speech", seconds=0.5, dtype=torch.float64).requires_grad_()
    front = fastmel.preset("nemo", dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: front(x)[:8, :12], (y[:1200],), eps=1e-6,
                                    atol=1e-4, fast_mode=True)  # fmt: skip


@pytest.mark.parametrize(
    "kw,match",
    [
        (dict(normalize="all_features"), "normalize='all_features'"),
        (dict(pad_to=-1), "pad_to=-1"),
        (dict(pad_to=1.5), "pad_to must be an int"),
        (dict(window="kaiser"), "window='kaiser'"),
        (dict(center=False), "center is fixed"),
        (dict(pad_mode="reflect"), "pad_mode is fixed"),
        (dict(sr="16k"), "sr must be a real number"),
        (dict(win_length=0), "win_length=0"),
        (dict(n_mels=0), "n_mels"),
    ],
)
def test_bad_options_name_the_parameter(kw, match):
    with pytest.raises((ParameterError, TypeError), match=match):
        fastmel.preset("nemo", **kw)
