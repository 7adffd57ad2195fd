"""`python -m evals.bench` (`make bench`): the speed benchmark, evals/bench/speed.py."""

import typer

from evals.bench.speed import main

typer.run(main)
