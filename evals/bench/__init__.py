"""Benchmarks and the load test, apart from the evaluations: `make bench` (speed.py, also `python -m evals.bench`),
`make bench-scale` (scale.py, measuring in scale_child.py processes) and `make load-test` (load.py)."""
