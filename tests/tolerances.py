"""The tolerance table now lives in the library (``npnet.tolerances``); this name stays for the tests."""

from npnet.tolerances import TOLERANCES, tolerance

__all__ = ["TOLERANCES", "tolerance"]
