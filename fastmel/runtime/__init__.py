"""The runtime: running a module chunk by chunk and with CUDA graphs.

``streaming`` (MelStream, StreamState) and ``graph`` (CUDAGraphRunner, CUDAGraphStream,
cuda_graph). They import the features, never the presets.
"""
