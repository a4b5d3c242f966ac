"""tables: functions that read long module-level tables (build-sft-set's tests of data stubs)."""
