"""The ``npnet`` command line: sits on top of ``npnet.train`` and ``oracle``; the one place that prints tables."""
