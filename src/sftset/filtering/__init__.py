"""The solve filter: keep problems a model can solve, stably (Chen et al. 2021, section 4.3)."""
from __future__ import annotations

from .judge import Band, pass_at
from .solve_filter import STAGE, UNFILTERED, FilterOptions, SolveFilter

__all__ = ["Band", "FilterOptions", "STAGE", "SolveFilter", "UNFILTERED", "pass_at"]
