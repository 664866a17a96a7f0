"""Benchmarks: run with `make bench`; they print figures and ratios, never pass/fail on time."""
