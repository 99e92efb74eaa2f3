"""Presentation for the command line: number formatting and rich tables. No engine logic."""
