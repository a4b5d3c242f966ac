"""A small synthetic project whose functions benchmarks/tracer_overhead.py traces (see there)."""
