"""Formatting helpers."""
from . import units
