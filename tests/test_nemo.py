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


def test_float32_silence_normalises_to_exact_zeros():
    # Every frame of a silent band is log(2**-24): NeMo's steps in float64 give 0 (to their
    # sum's rounding), and the preset in float32 gives exactly 0, alone or padded in a batch.
    # NeMo's own float32 steps leave their sum's rounding divided by the 1e-5 std floor
    # (far above its tolerance), so silence is checked against float64 instead.
    y, lengths = padded_batch()
    silent = torch.zeros(2, y.shape[-1])
    front = fastmel.preset("nemo")
    assert ref.nemo_features(silent.double()).abs().max() <= NEMO_ATOL64
    assert front(silent).abs().max() == 0
    batch = front(torch.cat([y, silent]), lengths=torch.cat([lengths, torch.tensor([9000, 24000])]))
    assert batch[-2:].abs().max() == 0
    check(batch[:-2], ref.nemo_features(y, lengths), PRESET_ATOL["nemo"], "the other items")


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
        int(0.025 * sr),
        int(0.01 * sr),
        1 << (int(0.025 * sr) - 1).bit_length(),
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
    # batches pad items to the longest and mask them as NeMo does: the preset given the
    # padded batch and its lengths equals the whole batch, and each item computed on its own
    # equals its row, up to that row's own frames, then zeros.
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
        padded = torch.nn.utils.rnn.pad_sequence(items, batch_first=True)
        lengths = torch.tensor([y.shape[-1] for y in items])
        batch = front(padded, lengths=lengths)
        check(batch, theirs["input_features"].transpose(1, 2), PRESET_ATOL["nemo"], "batch")
        assert torch.equal(front.feature_lengths(lengths), theirs["attention_mask"].sum(1))
        for i, y in enumerate(items):
            row = theirs["input_features"][i].T
            ours = front(y)
            check(ours, row[:, : ours.shape[-1]], PRESET_ATOL["nemo"], f"{n_mels} mels, item {i}")
            assert not row[:, ours.shape[-1] - 1 :].any()
            assert int(theirs["attention_mask"][i].sum()) == y.shape[-1] // 160


# Items of a padded batch, in samples: empty, under one hop, one and two valid frames, a hop's
# multiple, 0.7 s, and the longest (1.5 s), which sets the padded length
PADDED_LENGTHS = [0, 100, 161, 320, 4800, 11200, 24000]


def padded_batch(dtype=torch.float32, junk: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Speech, noise, chirp... cut to PADDED_LENGTHS, padded to the longest with zeros (or
    with loud noise when ``junk``, which NeMo's masks make irrelevant)."""
    kinds = ["speech", "noise", "chirp", "voiced", "speech", "fullscale", "noise"]
    n = max(PADDED_LENGTHS)
    y = torch.stack([audio(k, seconds=n / 16000, dtype=dtype) for k in kinds])
    lengths = torch.tensor(PADDED_LENGTHS)
    past = torch.arange(n) >= lengths.unsqueeze(1)
    return y.masked_fill(past, 0.0) + (
        3.0 * torch.randn(y.shape, dtype=dtype) * past if junk else 0.0
    ), lengths


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
@pytest.mark.parametrize("normalize", ["per_feature", None])
@pytest.mark.parametrize("pad_to", [0, 16])
def test_padded_batch_with_lengths_equals_nemos_steps(dtype, normalize, pad_to):
    y, lengths = padded_batch(dtype)
    front = fastmel.preset("nemo", normalize=normalize, pad_to=pad_to, dtype=dtype)
    ours = front(y, lengths=lengths)
    atol = PRESET_ATOL["nemo"] if dtype == torch.float32 else NEMO_ATOL64
    check(ours, ref.nemo_features(y, lengths, normalize=normalize, pad_to=pad_to), atol, "batch")


@pytest.mark.parametrize("normalize", ["per_feature", None])
@pytest.mark.parametrize("pad_to", [0, 16])
def test_each_padded_item_equals_itself_alone_then_zeros(normalize, pad_to):
    # whatever pads an item (here loud noise) is ignored, as NeMo zeroes it after pre-emphasis
    y, lengths = padded_batch(torch.float64, junk=True)
    front = fastmel.preset("nemo", normalize=normalize, pad_to=pad_to, dtype=torch.float64)
    ours = front(y, lengths=lengths.tolist())
    valid = front.feature_lengths(lengths)
    for i, n in enumerate(PADDED_LENGTHS):
        assert int(valid[i]) == n // 160
        if n:  # (an empty item has no features of its own: its row is all zeros)
            alone = front(y[i, :n])[:, : 1 + n // 160]
            check(ours[i, :, : alone.shape[-1]], alone, NEMO_ATOL64, f"item {i} ({n} samples)")
        assert not ours[i, :, n // 160 :].any(), f"item {i}: frames past its length must be 0"


def test_lengths_keep_any_leading_shape_and_full_lengths_change_nothing():
    y = torch.stack([audio(k, seconds=0.5) for k in SIGNALS[:4]]).reshape(2, 2, -1)
    front = fastmel.preset("nemo", pad_to=16)
    full = front(y, lengths=torch.full((2, 2), y.shape[-1]))
    check(full, front(y), 1e-6, "full lengths against none")
    lengths = torch.tensor([[8000, 3000], [5000, 160]])
    flat = front(y.reshape(4, -1), lengths=lengths.reshape(4))
    check(front(y, lengths=lengths).reshape(4, 128, -1), flat, 0.0, "(2, 2) against (4,)")


def test_padded_batch_takes_gradients_and_compiles_without_graph_breaks():
    y, lengths = padded_batch(torch.float64)
    front = fastmel.preset("nemo", dtype=torch.float64)
    x = y[1:4, :1200].clone().requires_grad_()
    short = torch.tensor([1200, 700, 400])
    assert torch.autograd.gradcheck(
        lambda x: front(x, lengths=short)[..., :8, :9], (x,), eps=1e-6, atol=1e-4, fast_mode=True
    )
    torch._dynamo.reset()
    compiled = torch.compile(front, fullgraph=True)
    check(compiled(y, lengths=lengths), front(y, lengths=lengths), 1e-9, "compiled")


@pytest.mark.parametrize(
    "lengths,error,match",
    [
        (torch.tensor([16000.0, 8000.0]), TypeError, "lengths must hold integers"),
        (torch.tensor([True, False]), TypeError, "lengths must hold integers"),
        ("16000", TypeError, "lengths must be a tensor or a sequence of ints"),
        (torch.tensor([16000]), ParameterError, r"lengths has shape \(1,\); .* \(2,\)"),
        (torch.tensor([16001, 5]), ParameterError, r"\[0, 16000\].* from 5 to 16001"),
        ([-1, 5], ParameterError, r"\[0, 16000\].* from -1 to 5"),
    ],
)
def test_bad_lengths_are_named(lengths, error, match):
    with pytest.raises(error, match=match):
        fastmel.preset("nemo")(torch.zeros(2, 16000), lengths=lengths)


@pytest.mark.parametrize("pad_to", [0, 16])
@pytest.mark.parametrize("sizes", [[640], [1], [159, 0, 161, 2000], [8000]], ids=str)
def test_unnormalised_features_stream_exactly(pad_to, sizes):
    front = fastmel.preset("nemo", normalize=None, pad_to=pad_to)
    y = torch.stack([audio("speech", seconds=1.01), audio("chirp", seconds=1.01)])
    stream = MelStream(front)
    streamed = stream_in_sizes(stream, y, sizes)
    check(streamed, front(y), 1e-5, "stream against offline")
    check(
        streamed,
        ref.nemo_features(y, normalize=None, pad_to=pad_to),
        PRESET_ATOL["nemo"],
        "stream against NeMo's steps",
    )
    # every STFT frame went through the stream, the last (which NeMo sets to 0) at the flush
    assert stream.frames_emitted == 1 + y.shape[-1] // 160


def test_per_feature_normalisation_refuses_to_stream_and_says_what_streams():
    with pytest.raises(ParameterError, match="normalize=None streams"):
        MelStream(fastmel.preset("nemo"))


def test_nemo_front_end_takes_gradients():
    y = audio("speech", seconds=0.5, dtype=torch.float64).requires_grad_()
    front = fastmel.preset("nemo", dtype=torch.float64)
    assert torch.autograd.gradcheck(
        lambda x: front(x)[:8, :12], (y[:1200],), eps=1e-6, atol=1e-4, fast_mode=True
    )


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


# fastmel.nemo.AudioToMelSpectrogramPreprocessor: NeMo's (features, lengths) call


def _ragged(lengths: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    items = [audio("speech", seconds=n / 16000)[:n] for n in lengths]
    return torch.nn.utils.rnn.pad_sequence(items, batch_first=True), torch.tensor(lengths)


@pytest.mark.parametrize(
    "kw",
    [
        {"window_size": 0.025, "features": 128, "pad_to": 0},
        {"window_size": 0.025, "features": 80, "pad_to": 16},
        {"window_size": 0.025, "features": 80, "normalize": "NA", "pad_to": 0},
    ],
    ids=str,
)
def test_the_nemo_preprocessor_returns_nemos_features_and_lengths(kw):
    from fastmel.nemo import AudioToMelSpectrogramPreprocessor

    y, lengths = _ragged([24000, 17321, 400, 9000])
    features, counts = AudioToMelSpectrogramPreprocessor(**kw)(y, lengths)
    normalize = None if kw.get("normalize") == "NA" else "per_feature"
    theirs = ref.nemo_features(
        y, lengths, n_mels=kw["features"], normalize=normalize, pad_to=kw["pad_to"]
    )
    check(features, theirs, PRESET_ATOL["nemo"], str(kw))
    assert counts.dtype == torch.int64
    assert counts.tolist() == [(n + 512 // 2 * 2 - 512) // 160 for n in lengths.tolist()]


def test_the_nemo_preprocessor_lengths_are_parakeets_masks():
    transformers = pytest.importorskip("transformers")
    from fastmel.nemo import AudioToMelSpectrogramPreprocessor

    y, lengths = _ragged([24000, 17321, 9000, 16000])
    items = [y[i, :n].numpy() for i, n in enumerate(lengths.tolist())]
    mask = transformers.ParakeetFeatureExtractor()(items, sampling_rate=16000)["attention_mask"]
    pre = AudioToMelSpectrogramPreprocessor(window_size=0.025, features=80, pad_to=0)
    assert pre(y, lengths)[1].tolist() == mask.sum(-1).tolist()


@pytest.mark.parametrize(
    ("kw", "name"),
    [
        ({"normalize": "all_features"}, "normalize"),
        ({"log": False}, "log"),
        ({"frame_splicing": 3}, "frame_splicing"),
        ({"exact_pad": True}, "exact_pad"),
        ({"log_zero_guard_type": "clamp"}, "log_zero_guard_type"),
        ({"use_torchaudio": True}, "use_torchaudio"),
    ],
)
def test_the_nemo_preprocessor_refuses_what_it_does_not_compute(kw, name):
    from fastmel.nemo import AudioToMelSpectrogramPreprocessor

    with pytest.raises(ParameterError, match=f"not supported: {name}="):
        AudioToMelSpectrogramPreprocessor(**kw)
