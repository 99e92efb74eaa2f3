"""The published revenue, retention and unit-economics cases run the customer-success library
(the installed customer-success pack) on tiny tables built with the documented source shapes of
tests/library/library_support.py, so that folder is importable from here too."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "library"))
