"""Functions over values of named types (see README.md)."""
