"""The benchmark: a seeded workload the size of a big call, and `flask bench run` measuring it."""
