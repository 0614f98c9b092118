"""GPU probe: where one call's time goes (``python -m bench.gpu_probe``, CUDA only).

For a few input sizes, prints the kernels of one captured call (torch.profiler) and the time
per call of the eager module, the CUDA-graph runner (and its zero-copy call) and the graph
replay alone, with both Triton kernels of ``fastmel.ops.fused``, with the frames kernel only and
with PyTorch ops only, from CUDA events over many calls. ``gemm``: the mel projection's
formulations (cuBLAS products, the band kernel), each captured alone.
"""

from __future__ import annotations

import torch

import fastmel
from bench.peers import SETTINGS
from fastmel.ops import fused

SIZES = [(1, 0.04), (1, 1.0), (64, 1.0), (60, 60.0)]  # (batch, seconds)


def per_call_us(fn, n: int = 1000) -> float:
    for _ in range(20):
        fn()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    torch.cuda.synchronize()
    start.record()
    for _ in range(n):
        fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end) * 1000 / n


def signal(batch: int, seconds: float) -> torch.Tensor:
    n = int(seconds * SETTINGS["wav2lip"].sr)
    return torch.randn((batch, n) if batch > 1 else (n,), device="cuda")


def main() -> None:
    kw = SETTINGS["wav2lip"].kwargs()
    for batch, seconds in SIZES:
        y = signal(batch, seconds)
        n = 20 if seconds * batch > 100 else 1000
        for variant in ("both kernels", "frames kernel only", "torch ops"):
            mel = fastmel.MelSpectrogram(**kw).cuda()
            mel.fused = variant != "torch ops"
            if variant == "frames kernel only":
                mel._band_mel = None  # power and projection by PyTorch's square and cuBLAS
            run = fastmel.cuda_graph(mel, y)
            if variant == "both kernels":
                with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as p:
                    run(y)
                    torch.cuda.synchronize()
                print(f"\n== batch {batch} x {seconds:g} s: kernels of one runner call")
                for e in p.key_averages():
                    if e.device_time_total > 0:
                        print(f"  {e.device_time_total:9.1f} us  {e.key[:80]}")
            print(
                f"  {variant}: eager {per_call_us(lambda m=mel, y=y: m(y), n):.1f} us/call, "
                f"runner {per_call_us(lambda r=run, y=y: r(y), n):.1f}, "
                f"zero-copy runner {per_call_us(lambda r=run: r(r.static_input), n):.1f}, "
                f"replay only {per_call_us(run.graph.replay, n):.1f}"
            )


def graph_us(fn, n: int = 1000) -> float:
    """Time per replay of ``fn`` captured alone in a CUDA graph."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            fn()
    torch.cuda.current_stream().wait_stream(side)
    g = torch.cuda.CUDAGraph()
    with torch.cuda.graph(g):
        fn()
    return per_call_us(g.replay, n)


def _projections(S, X, P, W, B) -> dict:
    """Formulations of the mel projection of ``S`` (rows, 2F) or ``X`` (rows, F, 2)."""
    import torch.nn.functional as F

    out = {
        "S @ P": lambda: S @ P,
        "F.linear(S, W)": lambda: F.linear(S, W),
        "W @ S.T": lambda: W @ S.T,
        "square, pair sum + F.linear(K=F)": lambda: F.linear(X.square().sum(-1), B),
        "square + S @ P": lambda: X.square().flatten(-2) @ P,
    }
    band = fused.BandMel(B.cpu().numpy(), 2.0, 0.0, B.device)
    Xc = torch.view_as_complex(X)
    out["triton band (square incl.)"] = lambda: band(Xc).T
    return out


def gemms() -> None:
    """The mel projection's formulations, each captured alone, for several frame counts."""
    mel = fastmel.MelSpectrogram(**SETTINGS["wav2lip"].kwargs()).cuda()
    P = mel._projection  # (2F, n_mels): power folded in (re, im interleaved)
    W = P.T.contiguous()  # (n_mels, 2F)
    B = mel.mel_basis  # (n_mels, F)
    for rows in (3, 16, 81, 400, 5184, 288000):
        X = torch.randn(rows, B.shape[1], 2, device="cuda")
        S = X.flatten(-2)
        cells = []
        for name, fn in _projections(S, X, P, W, B).items():
            out = fn()
            ref = (X.square() if "square" in name else X).flatten(-2) @ P
            out = out if out.shape == ref.shape else out.T
            err = float((out - ref).abs().max() / ref.abs().max())
            t = graph_us(fn, 20 if rows > 100000 else 1000)
            cells.append(f"{name} {t:.1f} us ({err:.0e})")
        print(f"{rows:7d} rows: " + " | ".join(cells))


if __name__ == "__main__":
    import sys

    gemms() if sys.argv[1:] == ["gemm"] else main()
