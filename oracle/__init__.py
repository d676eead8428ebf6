"""oracle: npnet's models rebuilt with PyTorch autograd from the same weights, answering in NumPy arrays.

Each module mirrors the npnet module of the same name (``oracle.layers.Affine`` is the twin of
``npnet.layers.Affine``), takes NumPy arrays, computes with PyTorch's own functions, modules, autograd and
optimizers, and hands back NumPy arrays, so "does my NumPy code compute what a real framework computes" is one
comparison. Twins run on the CPU unless given ``device=`` (or ``$NPNET_ORACLE_DEVICE``), e.g. ``"cuda"``.
"""

__version__ = "0.1.0"
