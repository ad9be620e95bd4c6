"""Benchmarks for wac-toolkit: every figure is a ratio to a baseline measured in the same run.

Run ``python -m bench`` (or ``make bench``). Not part of the tests: the machines are shared and
noisy, so only ratios within one run mean anything. See ``bench/README.md``.
"""

__all__: list[str] = []
