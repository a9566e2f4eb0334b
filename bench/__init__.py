"""Tokenward benchmarks (issue 6): ``python -m bench`` (or ``bench/run``) runs them all and writes RESULTS.md."""
