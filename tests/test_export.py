"""Exports: one graph for every input length, equal to librosa (each preset to its model's
front end). ``torch.onnx.export`` run by ONNX Runtime, and ``torch.export``."""

from __future__ import annotations

import contextlib
import io

import librosa
import numpy as np
import pytest
import torch

import fastmel
from tests import references as ref
from tests import test_extractors as extractors
from tests.conftest import ONNX_PRESET_ATOL, assert_parity, make_signal
from tests.references import nemo_features
from tests.test_module import KW, MODULE_KINDS
from tests.test_nemo import padded_batch
from tests.test_presets import EXTRACTED, SR, max_abs, reference_output

if not hasattr(torch.compiler, "is_exporting"):  # what fastmel.ops.tracing reads exports by
    pytest.skip("this torch has no torch.compiler.is_exporting", allow_module_level=True)
ort = pytest.importorskip("onnxruntime", reason="onnxruntime is in the test extra")
pytest.importorskip("onnxscript", reason="torch.onnx.export needs onnxscript (test extra)")

# Lengths run through each exported graph; the graph is traced from 1 s between them.
SECONDS = (0.3, 1.0, 4.1)
CONFIGS = [
    KW,  # Wav2Lip's STFT (n_fft 800: ONNX Runtime's own DFT is off by 4e-5 there)
    dict(KW, n_fft=400, hop_length=160, fmin=0.0, fmax=8000.0),  # Whisper's
    dict(
        sr=22050,
        n_fft=512,
        hop_length=128,
        n_mels=64,
        power=1.0,
        pad_mode="reflect",
        htk=True,
        norm=None,
    ),
    dict(KW, power=0.5, center=False),  # (computed in float64: see MelSpectrogram._fft64)
    dict(
        sr=16000,
        n_fft=1023,
        win_length=800,
        hop_length=256,
        n_mels=40,
        window="hamming",
        pad_mode="edge",
    ),
    dict(KW, pad_mode="linear_ramp", power=1.5),
]


def onnx_session(module: torch.nn.Module, example: torch.Tensor):
    """``module`` exported for any length of ``example``'s last axis, in ONNX Runtime; and
    the set of operator types in the graph."""
    n = torch.export.Dim("n", min=module_n_fft(module))
    with contextlib.redirect_stdout(io.StringIO()):  # (the exporter prints its progress)
        program = torch.onnx.export(
            module.eval(), (example,), dynamo=True, dynamic_shapes=({example.ndim - 1: n},)
        )
    model = program.model_proto
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session, {node.op_type for node in model.graph.node}


def module_n_fft(module: torch.nn.Module) -> int:
    mel = next(m for m in module.modules() if isinstance(m, fastmel.MelSpectrogram))
    return mel.config.n_fft


def run(session, y: np.ndarray) -> np.ndarray:
    return session.run(None, {session.get_inputs()[0].name: y})[0]


def audio(sr: int, seconds: float, dtype=np.float32, batch: int = 0) -> np.ndarray:
    if not batch:
        return make_signal("speech", sr, seconds).astype(dtype)
    kinds = ["speech", "chirp", "voiced"]
    return np.stack([make_signal(kinds[i % 3], sr, seconds, seed=i) for i in range(batch)]).astype(
        dtype
    )


@pytest.mark.parametrize("kw", CONFIGS, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()))
def test_onnx_graph_equals_librosa_for_every_length(kw):
    module = fastmel.MelSpectrogram(**kw)
    session, ops = onnx_session(module, torch.from_numpy(audio(kw["sr"], 1.0)))
    assert "DFT" not in ops and "STFT" not in ops  # (the DFT is a MatMul: fastmel/dft.py)
    for seconds in SECONDS:
        y = audio(kw["sr"], seconds)
        ref = librosa.feature.melspectrogram(y=y, **kw)
        assert_parity(run(session, y), ref, np.float32, f"ONNX Runtime, {seconds} s")


def test_onnx_graph_in_float64_and_batched():
    kw = dict(KW, n_fft=400, hop_length=160)
    module = fastmel.MelSpectrogram(**kw, dtype=torch.float64)
    session, _ = onnx_session(module, torch.from_numpy(audio(16000, 1.0, np.float64, batch=3)))
    for seconds in SECONDS:
        y = audio(16000, seconds, np.float64, batch=3)
        ref = librosa.feature.melspectrogram(y=y, **kw, dtype=np.float64)
        out = run(session, y)
        assert out.dtype == np.float64
        assert_parity(out, ref, np.float64, f"ONNX Runtime, float64, {seconds} s")


@pytest.mark.parametrize("name", fastmel.PRESETS)
def test_onnx_presets_equal_their_model_front_end(name):
    if name in EXTRACTED:  # (their reference: transformers' extractor)
        pytest.importorskip("transformers")
    sr = SR[name]
    session, _ = onnx_session(fastmel.preset(name), torch.from_numpy(audio(sr, 1.0)))
    for seconds in (0.5, 2.5):
        y = audio(sr, seconds)
        err = max_abs(run(session, y), reference_output(name, torch.from_numpy(y)))
        assert err <= ONNX_PRESET_ATOL[name], f"{name}, {seconds} s: max|ours - ref| = {err:.3g}"


# Presets whose call also takes each item's length: how each makes a padded batch, the rows
# of it that run again cut to 9000 samples, and its reference for (audio, lengths).
PADDED = {
    "nemo": (padded_batch, slice(3, 6), nemo_features),
    "seamless": (extractors.padded, slice(1, 4), lambda y, n: ref.seamless_features(y, lengths=n)),
    "ast": (extractors.padded, slice(1, 4), lambda y, n: ref.ast_features(y, lengths=n)),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # (SeamlessM4T's NaN one-frame item)
@pytest.mark.parametrize("name", PADDED)
def test_onnx_presets_take_a_padded_batch_and_its_lengths(name):
    # as ONNX deployments run them: (audio, lengths) in, any batch size and padded length,
    # each item masked by its own length
    if name != "nemo":
        pytest.importorskip("transformers", reason="the reference is transformers' extractor")
    make, rows, reference = PADDED[name]
    batch, n = torch.export.Dim("batch"), torch.export.Dim("n", min=512)
    y, lengths = make()
    with contextlib.redirect_stdout(io.StringIO()):
        program = torch.onnx.export(
            fastmel.preset(name).eval(),
            (y, lengths),
            dynamo=True,
            dynamic_shapes=({0: batch, 1: n}, {0: batch}),
        )
    session = ort.InferenceSession(
        program.model_proto.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    names = [i.name for i in session.get_inputs()]
    short = (y[rows, :9000].contiguous(), lengths[rows].clamp(max=9000))
    for audio_in, lengths_in in ((y, lengths), short):
        feeds = dict(zip(names, (audio_in.numpy(), lengths_in.numpy()), strict=True))
        ours, theirs = session.run(None, feeds)[0], np.asarray(reference(audio_in, lengths_in))
        finite = np.isfinite(theirs).all(axis=(-2, -1))  # (SeamlessM4T: NaN for one frame)
        err = max_abs(ours[finite], theirs[finite])
        print(f"\nONNX Runtime {name} {tuple(audio_in.shape)}: max|ours - ref| = {err:.3g}")
        assert err <= ONNX_PRESET_ATOL[name], f"{tuple(audio_in.shape)}: {err:.3g}"


def test_onnx_mfcc_equals_librosa():
    kw = dict(sr=16000, n_mfcc=13, n_fft=512, hop_length=160, n_mels=40)
    session, _ = onnx_session(fastmel.MFCC(**kw), torch.from_numpy(audio(16000, 1.0)))
    for seconds in SECONDS:
        y = audio(16000, seconds)
        ref = librosa.feature.mfcc(y=y, **kw)
        assert_parity(run(session, y), ref, np.float32, f"MFCC, {seconds} s")


def test_exporting_leaves_the_module_as_it_was():
    module = fastmel.preset("wav2lip")
    y = torch.from_numpy(audio(16000, 1.0))
    before = module(y)
    onnx_session(module, y)
    assert not fastmel.ops.tracing.is_exporting()
    assert torch.equal(module(y), before)


@pytest.mark.parametrize("kind", ["MelSpectrogram", "preset wav2lip", "MFCC"])
@pytest.mark.parametrize("lead", [(), (2,)], ids=["1-D", "batch"])
def test_torch_export_takes_every_length(kind, lead):
    module = MODULE_KINDS[kind]()
    example = torch.from_numpy(audio(16000, 1.0, batch=lead[0] if lead else 0))
    n = torch.export.Dim("n", min=2048)
    # (torch's rfft meta guards on the number of frames: deferring those guards to run time
    # is what lets one program take every length)
    program = torch.export.export(
        module,
        (example,),
        dynamic_shapes=({len(lead): n},),
        prefer_deferred_runtime_asserts_over_guards=True,
    )
    exported = program.module()
    for seconds in SECONDS:
        y = torch.from_numpy(audio(16000, seconds, batch=lead[0] if lead else 0))
        expected = module(y)
        assert_parity(exported(y), expected, torch.float32, f"torch.export, {seconds} s")
