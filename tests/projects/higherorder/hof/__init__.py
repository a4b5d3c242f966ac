"""Higher-order helpers."""
