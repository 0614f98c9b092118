"""Benchmarks: fastmel against its peers, interleaved in one run (``python -m bench --help``)."""
