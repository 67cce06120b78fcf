"""Benchmarks of issue 7 (speed and scale): ``python -m bench`` / ``python -m bench quick``.

``bench.generate`` writes realistic canonical ledger workbooks (cached under ``bench/.cache/``, git-ignored);
``bench.run`` measures import, recompute, edit → result, the ledger table, the statement PDF and the exports,
each against a baseline measured in the same run.  See docs/performance.md.
"""
