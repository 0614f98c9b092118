"""The ``kaldi`` preset equals Kaldi's fbank: in float64 a reference written from Kaldi's code
(tests/references.py), in float32 kaldi-native-fbank itself and torchaudio's
``compliance.kaldi.fbank`` (its steps, tests/references.py); it streams as OnlineFbank does.
The ``campplus`` preset is that fbank less each band's mean, as CosyVoice computes it, and
``wespeaker`` the same of 16-bit-scaled audio with a Hamming window, as pyannote.audio does."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import torch

import fastmel
from fastmel import MelStream, ParameterError
from fastmel.core.windows import KALDI_WINDOWS, kaldi_window
from fastmel.feature.kaldi import kaldi_frame_sizes
from tests import references as ref
from tests.conftest import KALDI_ATOL32, KALDI_ATOL64, KALDI_BANK_ATOL, KALDI_RTOL32, make_signal

knf = pytest.importorskip("kaldi_native_fbank", reason="kaldi-native-fbank not installed")

# Chunk sizes for streams, cycled: a hop, single samples, irregular ones with an empty chunk,
# larger than the signal's frames, and a frame less one sample.
CHUNKINGS = [[160], [1], [257, 0, 1023, 5], [4000], [399, 1]]
# Each option's values; GRID draws combinations in which every value appears (checked below).
OPTIONS = {
    "sr": [16000, 8000, 22050, 44100],
    "n_mels": [80, 23, 40],
    "window": list(KALDI_WINDOWS),
    "preemphasis": [0.97, 0.0, 1.0],
    "remove_dc_offset": [True, False],
    "round_to_power_of_two": [True, False],
    "snip_edges": [True, False],
    "power": [2.0, 1.0],
    "band": [(20.0, None), (0.0, -400.0), (100.0, 3800.0)],
    "frames": [None, (512, 128), (401, 160), (300, 441)],
}


def _grid(n: int = 40, seed: int = 0) -> list[dict]:
    rng, grid = random.Random(seed), []
    for i in range(n):
        kw = {k: v[i] if i < len(v) else rng.choice(v) for k, v in OPTIONS.items()}
        win = (kw["frames"] or kaldi_frame_sizes(kw["sr"]))[0]
        if win % 2:  # (Kaldi needs an even FFT size)
            kw["round_to_power_of_two"] = True
        for fewer in ({}, {"n_mels": 23}, {"n_mels": 23, "frames": None}):
            kw.update(fewer)  # (until every bank holds an FFT bin)
            try:
                fastmel.preset("kaldi", **_kwargs(kw)[0])
                break
            except ParameterError:
                continue
        grid.append(kw)
    return grid


def _kwargs(kw: dict) -> tuple[dict, dict]:
    """The preset's keywords and the references' for one grid point."""
    ours = {k: v for k, v in kw.items() if k not in ("band", "frames")}
    ours["fmin"], ours["fmax"] = kw["band"]
    win, hop = kw["frames"] or kaldi_frame_sizes(kw["sr"])
    ours["win_length"], ours["hop_length"] = win, hop
    theirs = dict(
        sr=kw["sr"],
        n_mels=kw["n_mels"],
        low_freq=kw["band"][0],
        high_freq=kw["band"][1] or 0.0,
        frame_length=win,
        frame_shift=hop,
        window_type=kw["window"],
        preemph_coeff=kw["preemphasis"],
        remove_dc_offset=kw["remove_dc_offset"],
        round_to_power_of_two=kw["round_to_power_of_two"],
        snip_edges=kw["snip_edges"],
        use_power=kw["power"] == 2.0,
    )
    return ours, theirs


GRID = _grid()


def _audio(kind: str, sr: int, seconds: float = 1.0) -> np.ndarray:
    if kind == "dc":  # speech on a DC offset (what remove_dc_offset is for)
        return make_signal("speech", sr, seconds) + 0.25
    if kind == "int16":  # speech at 16-bit scale, as Kaldi's tools read it
        return np.round(make_signal("speech", sr, seconds) * 32767)
    return make_signal(kind, sr, seconds)


def _ids(kw: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in kw.items())


def test_grid_covers_every_option_value():
    for name, values in OPTIONS.items():
        seen = {repr(kw[name]) for kw in GRID}
        assert seen == {repr(v) for v in values} or name == "round_to_power_of_two", name


def _energy_error(ours: np.ndarray, exact: np.ndarray) -> float:
    """max |energy - exact energy| / max exact energy, from log features."""
    e, exact_e = np.exp(ours.astype(np.float64)), np.exp(exact)
    return float(np.abs(e - exact_e).max() / exact_e.max())


@pytest.mark.parametrize("kw", GRID, ids=_ids)
def test_equals_kaldi_computed_in_float64(kw):
    # every signal, including those with bands that hold almost none of a frame's energy (a
    # chirp's, speech on a DC offset kept), where float32 rounding shows in the log
    ours, theirs = _kwargs(kw)
    f64 = fastmel.preset("kaldi", **ours, dtype=torch.float64)
    f32 = fastmel.preset("kaldi", **ours)
    for kind in ("speech", "chirp", "dc", "noise", "int16"):
        y = _audio(kind, kw["sr"]).astype(np.float32).astype(np.float64)
        exact = ref.kaldi_fbank(y, **theirs)
        got = f64(torch.from_numpy(y)).numpy()
        assert got.shape == exact.shape, kind
        err = np.abs(got - exact).max()
        assert err <= KALDI_ATOL64, f"{kind}, float64: max|ours - ref| = {err:.3g}"
        err = _energy_error(f32(torch.from_numpy(y.astype(np.float32))).numpy(), exact)
        assert err <= KALDI_RTOL32, f"{kind}, float32: energy error {err:.3g} of the peak"


@pytest.mark.parametrize("kw", GRID, ids=_ids)
def test_float32_equals_kaldi_native_fbank(kw):
    ours, theirs = _kwargs(kw)
    front = fastmel.preset("kaldi", **ours)
    kinds = ["speech", "voiced", "noise", "fullscale", "int16"]
    for kind in kinds + ["dc"] * kw["remove_dc_offset"]:
        y = _audio(kind, kw["sr"]).astype(np.float32)
        expected, _ = ref.knf_fbank(y, **theirs)
        got = front(torch.from_numpy(y)).numpy()
        assert got.shape == expected.shape, kind
        err = np.abs(got - expected).max()
        assert err <= KALDI_ATOL32, f"{kind}: max|ours - knf| = {err:.3g}"


def _torchaudio(y: np.ndarray, kw: dict, **extra) -> np.ndarray:
    """torchaudio's ``compliance.kaldi.fbank`` for one grid point, ``(n_mels, frames)``."""
    _, theirs = _kwargs(kw)
    sr, win, hop = kw["sr"], theirs["frame_length"], theirs["frame_shift"]
    out = ref.torchaudio_kaldi_fbank(
        torch.from_numpy(y),
        num_mel_bins=kw["n_mels"],
        sample_frequency=sr,
        frame_length=(win + 0.5) * 1000 / sr,
        frame_shift=(hop + 0.5) * 1000 / sr,
        low_freq=theirs["low_freq"],
        high_freq=theirs["high_freq"],
        window_type=kw["window"],
        preemphasis_coefficient=kw["preemphasis"],
        remove_dc_offset=kw["remove_dc_offset"],
        round_to_power_of_two=kw["round_to_power_of_two"],
        snip_edges=kw["snip_edges"],
        use_power=kw["power"] == 2.0,
        **extra,
    )
    return out.T.numpy()


TORCHAUDIO_GRID = [kw for kw in GRID if kw["window"] not in ("sine", "hann")]  # (not its windows)


@pytest.mark.parametrize("kw", TORCHAUDIO_GRID, ids=_ids)
def test_float32_equals_torchaudio_compliance_fbank(kw):
    # As against kaldi-native-fbank: within KALDI_ATOL32 in log units where every band holds a
    # fair share of a frame's energy, and everywhere within float32 rounding of the peak energy
    # (torchaudio's float32 steps and fastmel's both lie within KALDI_RTOL32 of float64 Kaldi).
    front = fastmel.preset("kaldi", **_kwargs(kw)[0])
    for kind in ("speech", "voiced", "noise", "fullscale", "int16", "chirp", "dc"):
        y = _audio(kind, kw["sr"]).astype(np.float32)
        theirs, got = _torchaudio(y, kw), front(torch.from_numpy(y)).numpy()
        assert got.shape == theirs.shape, kind
        err = _energy_error(got, theirs.astype(np.float64))
        assert err <= KALDI_RTOL32, f"{kind}: energy error {err:.3g} of the peak"
        if kind in ("speech", "voiced", "noise", "fullscale") or (
            kind == "dc" and kw["remove_dc_offset"]
        ):
            err = np.abs(got - theirs).max()
            assert err <= KALDI_ATOL32, f"{kind}: max|ours - torchaudio| = {err:.3g}"


def test_torchaudio_grid_covers_its_options():
    for name in ("window", "snip_edges", "preemphasis", "power", "remove_dc_offset", "band"):
        seen = {repr(kw[name]) for kw in TORCHAUDIO_GRID}
        values = [v for v in OPTIONS[name] if v not in ("sine", "hann")]
        assert seen == {repr(v) for v in values}, name


@pytest.mark.parametrize("kw", TORCHAUDIO_GRID[:6], ids=_ids)
def test_subtract_mean_equals_torchaudio_and_kaldi(kw):
    ours = _kwargs(kw)[0]
    front = fastmel.preset("kaldi", **ours, subtract_mean=True)
    exact = fastmel.preset("kaldi", **ours, subtract_mean=True, dtype=torch.float64)
    y = np.stack([_audio(kind, kw["sr"]) for kind in ("speech", "noise")]).astype(np.float32)
    got = front(torch.from_numpy(y)).numpy()
    for i in range(2):  # each item by its own mean
        theirs = _torchaudio(y[i], kw, subtract_mean=True)
        assert np.abs(got[i] - theirs).max() <= KALDI_ATOL32
        kaldi = ref.kaldi_fbank(y[i].astype(np.float64), **_kwargs(kw)[1])
        kaldi -= kaldi.mean(axis=-1, keepdims=True)
        assert np.abs(exact(torch.from_numpy(y[i]).double()).numpy() - kaldi).max() <= KALDI_ATOL64
    assert np.abs(got.mean(axis=-1)).max() <= 1e-5


@pytest.mark.parametrize("signal", ["speech", "voiced", "chirp", "noise", "silence", "fullscale"])
def test_campplus_is_cosyvoices_speaker_embedding_input(signal):
    # CosyVoice's _extract_spk_embedding: kaldi.fbank(speech, num_mel_bins=80, dither=0,
    # sample_frequency=16000), then feat - feat.mean(dim=0, keepdim=True); the same from the
    # kaldi preset; in float64 the same as Kaldi's steps in float64
    y = make_signal(signal, 16000, 1.5).astype(np.float32)
    front = fastmel.preset("campplus")
    got = front(torch.from_numpy(y)).numpy()
    theirs = ref.campplus_features(torch.from_numpy(y)).numpy()
    assert got.shape == theirs.shape == (80, 148)
    kaldi = fastmel.preset("kaldi", subtract_mean=True)(torch.from_numpy(y)).numpy()
    np.testing.assert_array_equal(got, kaldi)
    exact = ref.kaldi_fbank(y.astype(np.float64))
    exact -= exact.mean(axis=-1, keepdims=True)
    got64 = fastmel.preset("campplus", dtype=torch.float64)(torch.from_numpy(y).double()).numpy()
    assert np.abs(got64 - exact).max() <= KALDI_ATOL64
    if signal != "chirp":  # (float32 in bands that hold almost none of a frame's energy)
        assert np.abs(got - theirs).max() <= KALDI_ATOL32


def _pyannote(y: np.ndarray) -> np.ndarray:
    return ref.wespeaker_features(torch.from_numpy(y)).numpy()


@pytest.mark.parametrize("signal", ["speech", "voiced", "chirp", "noise", "silence", "fullscale"])
def test_wespeaker_is_pyannotes_speaker_embedding_input(signal):
    # the audio times 1 << 15, torchaudio's fbank with a Hamming window, less the mean; in
    # float64 Kaldi's steps in float64 on the scaled audio, less the mean
    y = make_signal(signal, 16000, 1.5).astype(np.float32)
    got = fastmel.preset("wespeaker")(torch.from_numpy(y)).numpy()
    theirs = _pyannote(y)
    assert got.shape == theirs.shape == (80, 148)
    assert np.abs(got - theirs).max() <= KALDI_ATOL32
    exact = ref.kaldi_fbank(y.astype(np.float64) * 32768, window_type="hamming")
    exact -= exact.mean(axis=-1, keepdims=True)
    front64 = fastmel.preset("wespeaker", dtype=torch.float64)
    assert np.abs(front64(torch.from_numpy(y).double()).numpy() - exact).max() <= KALDI_ATOL64


def test_wespeaker_batches_items_and_streams_only_without_the_mean():
    y = np.stack(
        [
            make_signal(kind, 16000, 1.0, seed=i)
            for i, kind in enumerate(("speech", "noise", "voiced"))
        ]
    ).astype(np.float32)
    with pytest.raises(ParameterError, match="WeSpeaker cannot stream"):
        MelStream(fastmel.preset("wespeaker"))
    got = fastmel.preset("wespeaker")(torch.from_numpy(y)).numpy()
    for i in range(3):
        assert np.abs(got[i] - _pyannote(y[i])).max() <= KALDI_ATOL32
    unscaled = fastmel.preset("campplus", window="hamming")(torch.from_numpy(y)).numpy()
    assert np.abs(unscaled - got).max() > 1e-3  # (the floor binds differently unscaled)
    # without the mean, the scaled fbank streams (the scale is in the banks)
    front = fastmel.preset("wespeaker", subtract_mean=False)
    stream = MelStream(front)
    parts = [stream.push(c) for c in torch.from_numpy(y).split(640, dim=-1)] + [stream.flush()]
    streamed, offline = torch.cat(parts, -1).numpy(), front(torch.from_numpy(y)).numpy()
    assert streamed.shape == offline.shape and np.abs(streamed - offline).max() <= 1e-4


def write_am_mvn(path, shift: np.ndarray, scale: np.ndarray) -> None:
    """An am.mvn file as FunASR's models ship it (Kaldi nnet1 text: Splice, AddShift, Rescale)."""

    def vector(v: np.ndarray) -> str:
        return "<LearnRateCoef> 0 [ " + " ".join(f"{x:.6g}" for x in v) + " ]"

    n = len(shift)
    path.write_text(
        f"<Nnet>\n<Splice> {n} {n}\n[ 0 ]\n<AddShift> {n} {n}\n{vector(shift)}\n"
        f"<Rescale> {n} {n}\n{vector(scale)}\n</Nnet>\n"
    )


@pytest.fixture(scope="module")
def am_mvn(tmp_path_factory):
    """A realistic am.mvn: minus the means and the inverse stds of the stacked features of
    speech, as FunASR's are (its values, rounded to 6 digits as written, read back)."""
    y = np.concatenate([make_signal(k, 16000, 2.0, seed=3) for k in ("speech", "voiced")])
    L = fastmel.preset("funasr", dtype=torch.float64)(torch.from_numpy(y)).numpy()
    path = tmp_path_factory.mktemp("funasr") / "am.mvn"
    write_am_mvn(path, -L.mean(axis=1), 1 / L.std(axis=1))
    return path


def test_am_mvn_is_read_as_funasr_reads_it(am_mvn, tmp_path):
    shift, scale = fastmel.presets.funasr.read_am_mvn(am_mvn)
    text = am_mvn.read_text().split("\n")
    assert shift.shape == scale.shape == (560,)
    assert shift.tolist() == [float(v) for v in text[4].split()[3:-1]]  # (FunASR's indices)
    assert scale.tolist() == [float(v) for v in text[6].split()[3:-1]]
    assert -20 < shift.min() and shift.max() < 0 and 0 < scale.min() and scale.max() < 2
    bad = tmp_path / "bad.mvn"
    cases = [
        ("<Nnet> </Nnet>", "no <AddShift> vector"),
        ("<AddShift> 2 2 <LearnRateCoef> 0 [ 1 2 ]", "no <Rescale> vector"),
        ("<AddShift> [ 1 2 ] <Rescale> [ 1 ]", "2 values and <Rescale> 1"),
    ]
    for text, match in cases:
        bad.write_text(text)
        with pytest.raises(ParameterError, match=match):
            fastmel.presets.funasr.read_am_mvn(bad)
    with pytest.raises(ParameterError, match="cannot read"):
        fastmel.presets.funasr.read_am_mvn(tmp_path / "missing.mvn")
    with pytest.raises(ParameterError, match="at least 560 values"):
        fastmel.preset("funasr", cmvn=(np.zeros(80), np.ones(80)))
    with pytest.raises(TypeError, match="cmvn must be"):
        fastmel.preset("funasr", cmvn=np.zeros((2, 560)))
    with pytest.raises(TypeError, match="real numbers"):
        fastmel.preset("funasr", cmvn=(["a"] * 560, np.ones(560)))
    with pytest.raises(ParameterError, match="finite"):
        fastmel.preset("funasr", cmvn=(np.full(560, np.nan), np.ones(560)))
    for name, bad_value, error in (("lfr_m", 0, ParameterError), ("lfr_n", 1.5, TypeError)):
        with pytest.raises(error, match=name):
            fastmel.preset("funasr", **{name: bad_value})


@pytest.mark.parametrize("signal", ["speech", "voiced", "chirp", "noise", "silence", "fullscale"])
def test_funasr_is_wavfrontends_output(signal, am_mvn):
    # FunASR's WavFrontend with dither 0 (torchaudio's steps, its LFR loop, its CMVN) in
    # float32; in float64, Kaldi's steps in float64 on the scaled audio, stacked, normalised
    y = make_signal(signal, 16000, 1.5).astype(np.float32)
    shift, scale = fastmel.presets.funasr.read_am_mvn(am_mvn)
    got = fastmel.preset("funasr", cmvn=am_mvn)(torch.from_numpy(y)).numpy()
    theirs = ref.funasr_features(torch.from_numpy(y), cmvn=(shift, scale)).numpy()
    assert got.shape == theirs.shape == (560, 25)  # (148 frames, every 6th)
    assert np.abs(got - theirs).max() <= KALDI_ATOL32 * scale.max()
    bare = fastmel.preset("funasr")(torch.from_numpy(y)).numpy()
    theirs = ref.funasr_features(torch.from_numpy(y)).numpy()
    assert np.abs(bare - theirs).max() <= KALDI_ATOL32
    kaldi = ref.kaldi_fbank(y.astype(np.float64) * 32768, window_type="hamming")
    stacked = ref.funasr_lfr(torch.from_numpy(kaldi.T), 7, 6).T.numpy()
    exact = (stacked + shift[:, None]) * scale[:, None]
    got64 = fastmel.preset("funasr", cmvn=am_mvn, dtype=torch.float64)
    assert np.abs(got64(torch.from_numpy(y).double()).numpy() - exact).max() <= KALDI_ATOL64


@pytest.mark.parametrize("m, n", [(7, 6), (5, 1), (1, 1), (3, 2), (1, 3), (8, 3), (2, 5)])
def test_funasr_stacks_frames_as_its_lfr_loop(m, n):
    # every position of the edges: 1 to 14 frames (400 + 160 (T - 1) samples), a batch
    y = torch.from_numpy(np.stack([make_signal(k, 16000, 0.3) for k in ("speech", "noise")]))
    kaldi = fastmel.preset("kaldi", window="hamming", input_scale=fastmel.presets.PCM_SCALE)
    front = fastmel.preset("funasr", lfr_m=m, lfr_n=n)
    for frames in range(1, 15):
        x = y[:, : 400 + 160 * (frames - 1)]
        got, L = front(x), kaldi(x)
        for i in range(2):
            expected = ref.funasr_lfr(L[i].T, m, n).T
            assert got[i].shape == expected.shape == (80 * m, -(-frames // n))
            assert torch.equal(got[i], expected), (frames, i)
    assert front.causal and (front.frame_stacker() is None) == (m == n == 1)


@pytest.mark.parametrize("m, n", [(7, 6), (5, 1), (1, 3), (8, 3), (2, 5)])
@pytest.mark.parametrize("sizes", CHUNKINGS, ids=str)
def test_funasr_streams_each_row_once_its_frames_have_arrived(m, n, sizes, am_mvn):
    shift, scale = fastmel.presets.funasr.read_am_mvn(am_mvn)
    cmvn = (np.resize(shift, 80 * m), np.resize(scale, 80 * m))
    front = fastmel.preset("funasr", lfr_m=m, lfr_n=n, cmvn=cmvn)
    y = torch.from_numpy(np.stack([make_signal(k, 16000, 0.6) for k in ("speech", "chirp")]))
    stream, parts, pos, i, rows = MelStream(front), [], 0, 0, 0
    while pos < y.shape[-1]:
        parts.append(stream.push(y[:, pos : pos + sizes[i % len(sizes)]]))
        pos, i, rows = pos + sizes[i % len(sizes)], i + 1, rows + parts[-1].shape[-1]
        frames = stream.frames_emitted + (m - 1) // 2 if stream.frames_emitted else 0
        assert rows == max(0, (frames - m) // n + 1)  # rows all of whose frames have arrived
    parts.append(stream.flush())
    streamed, offline = torch.cat(parts, -1), front(y)
    assert streamed.shape == offline.shape and (streamed - offline).abs().max() <= 1e-4


@pytest.mark.parametrize("m, n", [(7, 6), (1, 3), (8, 3)])
def test_funasr_stream_of_short_signals_forks_and_is_not_static(m, n):
    front = fastmel.preset("funasr", lfr_m=m, lfr_n=n)
    y = torch.from_numpy(make_signal("speech", 16000, 0.3))
    for frames in range(1, 15):  # every row count, from a single frame
        x = y[: 400 + 160 * (frames - 1)]
        stream = MelStream(front)
        parts = [stream.push(c) for c in x.split(97)] + [stream.flush()]
        assert (torch.cat(parts, -1) - front(x)).abs().max() <= 1e-4, frames
    stream = MelStream(front)
    head = [stream.push(c) for c in y[:2000].split(333)]
    fork = MelStream(front)
    fork.resume(stream.state())
    tails = [[s.push(y[2000:]), s.flush()] for s in (stream, fork)]
    assert torch.equal(torch.cat(head + tails[0], -1), torch.cat(head + tails[1], -1))
    assert (torch.cat(head + tails[0], -1) - front(y)).abs().max() <= 1e-4
    with pytest.raises(ParameterError, match="FunASR stacks frames into rows"):
        fastmel.runtime.graph._StaticStream(MelStream(front), y[:640])
    with pytest.raises(ParameterError, match="subtract_mean does not apply to funasr"):
        fastmel.preset("funasr", subtract_mean=True)


def test_funasr_without_stacking_is_the_kaldi_fbank_normalised_frame_by_frame(am_mvn):
    y = torch.from_numpy(np.stack([make_signal(k, 16000, 1.0) for k in ("speech", "chirp")]))
    kaldi = fastmel.preset("kaldi", window="hamming", input_scale=fastmel.presets.PCM_SCALE)
    shift, scale = fastmel.presets.funasr.read_am_mvn(am_mvn)
    for cmvn in (None, (shift[:80], scale[:80])):
        front = fastmel.preset("funasr", lfr_m=1, lfr_n=1, cmvn=cmvn)
        assert front.frame_stacker() is None
        expected = kaldi(y)
        if cmvn is not None:
            as32 = [torch.from_numpy(np.float32(v[:80, None])) for v in cmvn]
            expected = (expected + as32[0]) * as32[1]
        assert torch.equal(front(y), expected)
        stream = MelStream(front)
        streamed = torch.cat([stream.push(c) for c in y.split(640, -1)] + [stream.flush()], -1)
        assert (streamed - expected).abs().max() <= 1e-4
    assert "lfr_m=7, lfr_n=6, cmvn=(shift, scale)" in repr(fastmel.preset("funasr", cmvn=am_mvn))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(
    "kw",
    [{}, {"power": 1.0, "window": "hamming"}, {"snip_edges": False, "preemphasis": 0.0}],
    ids=str,
)
def test_input_scale_equals_scaling_the_audio(kw, dtype):
    # a power of two is exact through every linear step, so folding it into the banks gives
    # the features of the scaled audio bit for bit; another scale as float32 rounding allows
    # (against float64, since rounding the scaled samples to float32 is itself an error)
    y = torch.from_numpy(np.stack([make_signal(k, 16000, 0.7) for k in ("speech", "chirp")]))
    plain, yd = fastmel.preset("kaldi", dtype=dtype, **kw), y.to(dtype)
    for scale in (32768.0, 0.25):
        scaled = fastmel.preset("kaldi", input_scale=scale, dtype=dtype, **kw)
        np.testing.assert_array_equal(scaled(yd).numpy(), plain(yd * scale).numpy())
    odd = fastmel.preset("kaldi", input_scale=1000.0, dtype=dtype, **kw)(yd).numpy()
    exact = fastmel.preset("kaldi", dtype=torch.float64, **kw)(y * 1000.0).numpy()
    if dtype == torch.float64:
        assert np.abs(odd - exact).max() <= KALDI_ATOL64
    else:
        assert max(_energy_error(odd[i], exact[i]) for i in range(2)) <= KALDI_RTOL32


def test_input_scale_is_checked():
    for bad, error in (
        (0.0, ParameterError),
        (-1.0, ParameterError),
        (math.inf, ParameterError),
        (math.nan, ParameterError),
        (1e30, ParameterError),
        (1e-30, ParameterError),
        ("2", TypeError),
        (True, TypeError),
    ):
        with pytest.raises(error, match="input_scale"):
            fastmel.preset("kaldi", input_scale=bad)
    assert "input_scale=32768" in repr(fastmel.preset("wespeaker"))


@pytest.mark.parametrize("n", [1, 79, 80, 159, 160, 200, 399, 400, 401, 561])
@pytest.mark.parametrize("snip_edges", [True, False])
def test_short_signals_as_kaldi(n, snip_edges):
    # snip_edges=False reads past both edges, reflecting as often as needed
    y = make_signal("speech", 16000, 0.1)[:n]
    front = fastmel.preset("kaldi", snip_edges=snip_edges, dtype=torch.float64)
    expected = ref.kaldi_fbank(y, snip_edges=snip_edges)
    if not expected.shape[-1]:  # Kaldi makes no frame; fastmel says so
        with pytest.raises(ParameterError, match=f"y with {n} samples is shorter than one frame"):
            front(torch.from_numpy(y))
        return
    assert np.abs(front(torch.from_numpy(y)).numpy() - expected).max() <= KALDI_ATOL64


@pytest.mark.parametrize("name", KALDI_WINDOWS)
@pytest.mark.parametrize("n", [400, 401, 551, 1024])
def test_windows_equal_kaldi_native_fbank(name, n):
    opts = knf.FrameExtractionOptions()
    opts.window_type, opts.samp_freq, opts.frame_length_ms = name, 16000, (n + 0.5) / 16
    theirs = np.asarray(knf.FeatureWindowFunction(opts).window, dtype=np.float32)
    np.testing.assert_array_equal(kaldi_window(name, n).astype(np.float32), theirs)


@pytest.mark.parametrize(
    "sr,n_fft,n_mels,fmin,fmax",
    [
        (16000, 512, 80, 20.0, 0.0),
        (16000, 512, 23, 20.0, 0.0),
        (8000, 256, 40, 20.0, -400.0),
        (22050, 1024, 128, 0.0, 8000.0),
        (44100, 2048, 80, 100.0, 0.0),
        (16000, 400, 80, 20.0, 0.0),
    ],
)
def test_mel_banks_equal_kaldi_native_fbank(sr, n_fft, n_mels, fmin, fmax):
    opts = knf.FbankOptions()
    opts.frame_opts.samp_freq, opts.frame_opts.frame_length_ms = sr, (n_fft + 0.5) * 1000 / sr
    opts.frame_opts.round_to_power_of_two = False
    opts.mel_opts.num_bins, opts.mel_opts.low_freq, opts.mel_opts.high_freq = n_mels, fmin, fmax
    theirs = np.asarray(knf.MelBanks(opts.mel_opts, opts.frame_opts, 1.0).get_matrix())
    ours = fastmel.kaldi_mel_filters(sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax)
    assert ours.shape == theirs.shape == (n_mels, n_fft // 2 + 1) and ours.dtype == np.float32
    assert not ours[:, -1].any()  # the Nyquist bin has no weight
    assert np.abs(ours - theirs).max() <= KALDI_BANK_ATOL
    exact = fastmel.kaldi_mel_filters(
        sr=sr, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=fmax, dtype=np.float64
    )
    assert np.abs(exact - theirs).max() <= KALDI_BANK_ATOL


@pytest.mark.parametrize("snip_edges", [True, False])
@pytest.mark.parametrize("sizes", CHUNKINGS, ids=str)
def test_stream_equals_offline_and_kaldi_native_fbank_frame_for_frame(snip_edges, sizes):
    front = fastmel.preset("kaldi", snip_edges=snip_edges)
    y = np.stack([_audio("speech", 16000), _audio("dc", 16000)]).astype(np.float32)
    chunks, pos, i = [], 0, 0
    while pos < y.shape[-1]:
        chunks.append(min(sizes[i % len(sizes)], y.shape[-1] - pos))
        pos, i = pos + chunks[-1], i + 1
    stream, parts, ready, pos = MelStream(front), [], [], 0
    for size in chunks:
        parts.append(stream.push(torch.from_numpy(y[:, pos : pos + size])))
        ready.append(stream.frames_emitted)
        pos += size
    parts.append(stream.flush())
    streamed = torch.cat(parts, dim=-1)
    assert torch.equal(streamed, front(torch.from_numpy(y))) or (
        (streamed - front(torch.from_numpy(y))).abs().max() <= 1e-4
    )
    theirs, theirs_ready = ref.knf_fbank(y[0], snip_edges=snip_edges, chunks=chunks)
    assert ready == theirs_ready  # each frame as soon as OnlineFbank gives it
    assert np.abs(streamed[0].numpy() - theirs).max() <= KALDI_ATOL32


def test_preset_defaults_and_overrides():
    front = fastmel.preset("kaldi")
    mel = front.mel
    assert (mel.config.sr, mel.config.win_length, mel.config.hop_length) == (16000, 400, 160)
    c = mel.config
    assert (mel.fft_size, c.n_mels, c.fmin, c.fmax) == (512, 80, 20, 8000)
    assert mel.window_type == "povey" and mel.preemphasis == 0.97 and mel.snip_edges
    assert "fft_size=512" in repr(front) and "window='povey'" in repr(front)
    assert kaldi_frame_sizes(22050) == (551, 220) and kaldi_frame_sizes(8000) == (200, 80)
    assert fastmel.preset("kaldi", sr=8000).mel.fft_size == 256
    assert fastmel.preset("kaldi", round_to_power_of_two=False).mel.fft_size == 400
    assert front(torch.zeros(2, 3, 16000)).shape == (2, 3, 80, 98)


def test_preset_follows_device_and_dtype():
    y = torch.from_numpy(_audio("speech", 16000))
    front = fastmel.preset("kaldi").double()
    assert front(y).dtype == torch.float64
    assert np.abs(front(y).numpy() - ref.kaldi_fbank(y.numpy())).max() <= KALDI_ATOL64
    assert front.float()(y.float()).dtype == torch.float32


@pytest.mark.parametrize(
    "kw,error,match",
    [
        (dict(window="hann_periodic"), ParameterError, "window='hann_periodic' must be one of"),
        (dict(n_mels=2), ParameterError, "n_mels=2"),
        (dict(n_mels=200), ParameterError, r"mel bank \d+ holds no FFT bin"),
        (dict(fmin=8000.0), ParameterError, "fmin=8000 and fmax=8000"),
        (dict(fmax=9000.0), ParameterError, "fmax=9000"),
        (dict(fmin=-1.0), ParameterError, "fmin=-1"),
        (dict(fmax=-8000.0), ParameterError, "fmax=0"),
        (
            dict(win_length=401, round_to_power_of_two=False),
            ParameterError,
            "n_fft=401 must be even",
        ),
        (dict(win_length=1), ParameterError, "win_length=1"),
        (dict(hop_length=0), ParameterError, "hop_length=0"),
        (dict(preemphasis=1.5), ParameterError, "preemphasis=1.5 must be in"),
        (dict(snip_edges="no"), TypeError, "snip_edges must be a bool"),
        (dict(power=1.5), ParameterError, "power=1.5 must be 2.0"),
        (dict(n_fft=512), TypeError, "n_fft"),
    ],
)
def test_preset_errors_name_the_parameter(kw, error, match):
    with pytest.raises(error, match=match):
        fastmel.preset("kaldi", **kw)


def test_empty_banks_stay_at_the_floor_as_torchaudio_keeps_them():
    # 128 banks over a 512-point FFT at 16 kHz (AST's): bank 3 holds no FFT bin. Kaldi refuses
    # that; torchaudio's fbank gives it zero weights, so its log is the floor in every frame
    with pytest.raises(ParameterError, match="mel bank 3 holds no FFT bin"):
        fastmel.preset("kaldi", n_mels=128)
    with pytest.raises(TypeError, match="allow_empty_banks must be a bool"):
        fastmel.preset("kaldi", allow_empty_banks="yes")
    for kind in ("speech", "voiced", "noise", "int16"):
        y = torch.from_numpy(_audio(kind, 16000).astype(np.float32))
        for window in ("hanning", "povey"):
            front = fastmel.preset("kaldi", n_mels=128, allow_empty_banks=True, window=window)
            ours = front(y).numpy()
            theirs = ref.torchaudio_kaldi_fbank(y, num_mel_bins=128, window_type=window).T
            err = np.abs(ours - theirs.numpy()).max()
            assert err <= KALDI_ATOL32, f"{kind}, {window}: max|ours - torchaudio| = {err:.3g}"
            assert (ours[3] == np.float32(np.log(np.finfo(np.float32).eps))).all()
    assert "allow_empty_banks=True" in repr(front.mel)


def test_fft_size_is_checked():
    # (fft_size's numbers are tested through Gemma 3n's front end, FFT 1024 for 512-sample
    # frames, against its extractor: tests/test_extractors.py)
    with pytest.raises(ParameterError, match="fft_size=256 must be an integer >= 400"):
        fastmel.feature.kaldi.KaldiSpectrogram(sr=16000, fft_size=256)
    with pytest.raises(ParameterError, match="fft_size=1025 must be even"):
        fastmel.feature.kaldi.KaldiSpectrogram(sr=16000, fft_size=1025)
    with pytest.raises(TypeError, match="fft_size must be an int"):
        fastmel.feature.kaldi.KaldiSpectrogram(sr=16000, fft_size=512.0)
    assert fastmel.feature.kaldi.KaldiSpectrogram(sr=16000, fft_size=1024).fft_size == 1024
