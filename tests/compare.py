"""``assert_close`` now lives in the library (``npnet.compare``); this name stays for the tests."""

from npnet.compare import Comparison, assert_close, compare

__all__ = ["Comparison", "assert_close", "compare"]
