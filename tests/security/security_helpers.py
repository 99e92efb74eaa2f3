"""Helpers shared by the security tests."""

from __future__ import annotations

import textwrap
from pathlib import Path

ROWS = "id,amount\n1,5\n2,6\n"
SECRET = "SECRET_TOKEN=do-not-show-me"


def write(folder: Path, text: str, name: str = "defs.metrics") -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path
