"""The customer-success families as hand-written Polars (lazy scans, months in UTC); see
run_families.py and the families_*.sql files for the definitions."""
