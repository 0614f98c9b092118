"""fastmel.lhotse against Lhotse's own extractors: one item, batches, and a small CutSet
through Lhotse's pipelines (compute_and_store_features and its batch version)."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import torch

lhotse = pytest.importorskip("lhotse")  # (the test extra installs it)

from lhotse.features.librosa_fbank import LibrosaFbank, LibrosaFbankConfig  # noqa: E402

from fastmel import ParameterError  # noqa: E402
from fastmel.lhotse import FastmelFbank, FastmelLibrosaFbank  # noqa: E402
from tests.conftest import KALDI_ATOL32, LIBROSA_FBANK_ATOL  # noqa: E402
from tests.signals import make_signal  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore:.*snip_edges")

FBANK_CONFIGS = [
    {},
    {"num_filters": 40, "window_type": "hamming", "snip_edges": True},
    {"use_fft_mag": True, "high_freq": 0.0, "low_freq": 64.0},
    {"sampling_rate": 8000, "num_filters": 23, "frame_length": 0.032, "frame_shift": 0.016},
    {"preemph_coeff": 0.0, "remove_dc_offset": False, "round_to_power_of_two": False},
]


def _item(sr: int, seconds: float, seed: int = 0) -> np.ndarray:
    return make_signal("speech", sr, seconds, seed=seed).astype(np.float32)


@pytest.mark.parametrize("kw", FBANK_CONFIGS, ids=str)
def test_fbank_is_lhotses(kw):
    config = lhotse.FbankConfig(**kw)
    y = _item(config.sampling_rate, 1.37)
    theirs = lhotse.Fbank(config).extract(y, config.sampling_rate)
    ours = FastmelFbank(config).extract(y, config.sampling_rate)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=KALDI_ATOL32)
    tensor = FastmelFbank(config).extract(torch.from_numpy(y)[None], config.sampling_rate)
    assert isinstance(tensor, torch.Tensor)
    np.testing.assert_array_equal(tensor.numpy(), ours)


@pytest.mark.parametrize("form", ["list", "tensor list", "padded", "array"])
def test_fbank_batches_are_lhotses(form):
    items = [_item(16000, d, seed=i) for i, d in enumerate((1.0, 0.7, 1.33))]
    kw = {}
    if form == "tensor list":
        items = [torch.from_numpy(x) for x in items]
    elif form == "padded":
        kw["lengths"] = torch.tensor([len(x) for x in items])
        items = torch.nn.utils.rnn.pad_sequence([torch.from_numpy(x) for x in items], True)
    elif form == "array":
        items = np.stack([x[:11200] for x in items])
    theirs = lhotse.Fbank().extract_batch(items, 16000, **kw)
    ours = FastmelFbank().extract_batch(items, 16000, **kw)
    assert type(ours) is type(theirs) and len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert type(a) is type(b) and a.shape == b.shape
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=0, atol=KALDI_ATOL32)


@pytest.mark.parametrize(
    "kw", [{}, {"win_length": 800, "fmin": 0, "fmax": None}, {"sampling_rate": 24000}], ids=str
)
def test_librosa_fbank_is_lhotses(kw):
    config = LibrosaFbankConfig(**kw)
    y = _item(config.sampling_rate, 1.37)
    theirs = LibrosaFbank(config).extract(y, config.sampling_rate)
    ours = FastmelLibrosaFbank(config).extract(y, config.sampling_rate)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=LIBROSA_FBANK_ATOL)


def _cuts(tmp_path, sr: int):
    recordings = []
    for i, seconds in enumerate((1.2, 0.8, 2.05, 1.5)):
        path = tmp_path / f"r{i}.wav"
        sf.write(path, _item(sr, seconds, seed=i), sr, subtype="FLOAT")
        recordings.append(lhotse.Recording.from_file(path))
    return lhotse.CutSet.from_manifests(recordings=lhotse.RecordingSet.from_recordings(recordings))


@pytest.mark.parametrize(
    ("theirs", "ours", "sr", "atol"),
    [
        (lhotse.Fbank, FastmelFbank, 16000, KALDI_ATOL32),
        (LibrosaFbank, FastmelLibrosaFbank, 22050, LIBROSA_FBANK_ATOL),
    ],
    ids=["fbank", "librosa-fbank"],
)
def test_a_cutset_through_lhotses_pipeline(tmp_path, theirs, ours, sr, atol):
    cuts = _cuts(tmp_path, sr)
    a = cuts.compute_and_store_features(extractor=theirs(), storage_path=tmp_path / "a")
    b = cuts.compute_and_store_features(extractor=ours(), storage_path=tmp_path / "b")
    assert [c.features.type for c in b] == [ours.name] * len(cuts)
    for x, y in zip(a, b, strict=True):
        assert (x.id, x.num_frames, x.num_features) == (y.id, y.num_frames, y.num_features)
        np.testing.assert_allclose(y.load_features(), x.load_features(), rtol=0, atol=atol)
    if theirs is lhotse.Fbank:  # (the batched pipeline: padded batches, as Lhotse's)
        a, c = (
            cuts.compute_and_store_features_batch(
                extractor=extractor(), storage_path=tmp_path / name, num_workers=0
            )
            for extractor, name in ((theirs, "a2"), (ours, "c"))
        )
        for x, y in zip(a, c, strict=True):
            assert x.num_frames == y.num_frames
            np.testing.assert_allclose(y.load_features(), x.load_features(), rtol=0, atol=atol)


@pytest.mark.parametrize(
    "kw",
    [
        {"dither": 0.1},
        {"use_energy": True},
        {"norm_filters": True},
        {"torchaudio_compatible_mel_scale": False},
    ],
)
def test_what_fastmel_does_not_compute_is_refused_by_name(kw):
    with pytest.raises(ParameterError, match=next(iter(kw))):
        FastmelFbank(lhotse.FbankConfig(**kw))


def test_the_wrong_rate_is_refused():
    with pytest.raises(ParameterError, match="sampling_rate=8000"):
        FastmelFbank().extract(_item(8000, 0.5), 8000)


def test_the_extractors_are_registered():
    from lhotse.features.base import get_extractor_type

    assert get_extractor_type("fastmel-fbank") is FastmelFbank
    assert get_extractor_type("fastmel-librosa-fbank") is FastmelLibrosaFbank
