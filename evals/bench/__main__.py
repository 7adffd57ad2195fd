"""`python -m evals.bench` (`make bench`): the speed benchmark, evals/bench/speed.py."""

from evals.bench.speed import main

main()
