"""Dataset assembly: selection, dedup, decontamination, exports, refresh and report."""
