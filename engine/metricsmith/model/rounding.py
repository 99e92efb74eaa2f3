"""How `round` rounds a float, in words every engine follows (docs/language.md, "Numbers").

The engines' own rounding of a double differs at halves: DuckDB rounds the exact binary value
(6.255, stored as 6.25499999…, to 6.25), Spark and PostgreSQL the shortest decimal text (1.005
to 1.01), Arrow the value scaled by a power of ten (6.255 to 6.26, 1.005 to 1.0). The language
takes the last, as arithmetic any engine repeats to the bit: the float times 10^digits (divided
by 10^-digits when digits are negative), rounded to a whole number with halves away from zero,
then scaled back. A float whose scaled value reaches 2^53 has no digits left to round at
that scale and stays as it is (scaling it may even overflow to infinity).
"""

from __future__ import annotations

#: The largest power of ten a double holds exactly is 10^22.
MAX_ROUND_DIGITS = 22
#: Every double from here on is a whole number.
WHOLE_FROM = float(2**53)


def digits_problem(digits: int) -> str | None:
    """What is wrong with the digits of a `round` call, if anything (the checker asks)."""
    if abs(digits) > MAX_ROUND_DIGITS:
        return (
            f"`round` rounds to at most {MAX_ROUND_DIGITS} digits either side of the point, "
            f"not {digits}"
        )
    return None


def float_scale(digits: int) -> float:
    """10^|digits| as a double: exact for the digits the checker accepts."""
    return float(10 ** abs(digits))
