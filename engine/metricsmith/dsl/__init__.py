"""The metrics language: grammar, parser and lowering to the model. Lark stays in here."""

from metricsmith.dsl.parser import parse_expression, parse_file

__all__ = ["parse_expression", "parse_file"]
