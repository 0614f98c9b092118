"""The ops: how a spectrum is computed, below any module.

``tracing`` (whether a call is compiled or exported), ``precision`` (float32-exact products
where TF32/bf16 is set), ``dft`` (the DFT as GEMMs, for ONNX), ``projection`` (the mel
projection that skips the filterbank's zeros), ``fused`` and ``_triton`` (the CUDA kernels),
``native`` (an optional C++ op for the common CPU call) and ``stacking`` (low-frame-rate
stacking). They import only :mod:`fastmel.core`.
"""
