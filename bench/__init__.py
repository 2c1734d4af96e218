"""The benchmark: a seeded workload the size of a big call, and `python -m bench run` to measure it.

Not part of the product: not packaged, not imported by `app`, not in `flask --help`.
"""
