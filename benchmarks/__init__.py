"""npnet's benchmark: ``python -m benchmarks`` (``--quick`` for a run of well under a minute; ``--help``).

Not a test: every figure it prints is a time measured on this machine in this run, and what it claims is a ratio
between contestants measured side by side, interleaved and repeated in the same process.
"""
