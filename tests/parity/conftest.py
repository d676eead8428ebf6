"""Parity tests need PyTorch; run ``pytest tests/npnet`` for the NumPy-only selection."""

import torch

# pytest-xdist already runs one worker per core; one intra-op thread each avoids oversubscription.
torch.set_num_threads(1)
