"""Benchmarks run by `make bench`. Each module exposes ``run(report, **options)`` and reports
figures measured side by side in the same run, so ratios hold on a noisy machine."""
