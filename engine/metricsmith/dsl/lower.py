"""Lowering: lark parse tree → model nodes with spans. The only place that sees lark trees."""

from __future__ import annotations

import ast
import datetime as dt
import warnings
from typing import Any

import attrs
from lark import Token, v_args
from lark.tree import Meta
from lark.visitors import Transformer_NonRecursive

from metricsmith.errors import Diagnostic
from metricsmith.model import decl as d
from metricsmith.model import expr as e
from metricsmith.model.span import SourceFile, Span
from metricsmith.model.targets import directed
from metricsmith.model.time import GRAINS, Grain, WindowKind
from metricsmith.model.types import TYPE_NAMES, Type

_MAX_INTEGER_DIGITS = 4300

DURATION_UNITS: dict[str, dt.timedelta] = {
    "second": dt.timedelta(seconds=1),
    "minute": dt.timedelta(minutes=1),
    "hour": dt.timedelta(hours=1),
    "day": dt.timedelta(days=1),
    "week": dt.timedelta(weeks=1),
}

# Limits, documented in docs/language.md ("Limits"), with `e.MAX_NESTING`. Beyond them an
# engine fails (dates end at year 9999), so they are refused here, where a position is known.
MAX_YEARS = 1_000  # the longest duration or window
MAX_DURATION = dt.timedelta(days=366 * MAX_YEARS)
MAX_WINDOW = {"day": 366 * MAX_YEARS, "week": 53 * MAX_YEARS, "month": 12 * MAX_YEARS}
MAX_WINDOW |= {"quarter": 4 * MAX_YEARS, "year": MAX_YEARS}
MAX_WINDOW |= {"fiscal_quarter": 4 * MAX_YEARS, "fiscal_year": MAX_YEARS}
MAX_OFFSET = 10_000  # periods
MAX_SCORECARD_PERIODS = 1_000  # shown; each is computed, with those compared with
STRING_ESCAPES = r"escapes are \" \\ \n \t \xHH \uHHHH and \UHHHHHHHH"


def bounded_int(token: Token, limit: int) -> int | None:
    """The whole number `token` spells, or None beyond ±`limit`. The digits are counted first:
    Python refuses to convert a number of more than 4,300 digits."""
    digits = str(token).lstrip("+-").lstrip("0")
    if len(digits) > len(str(limit)):
        return None
    value = int(str(token))
    return value if abs(value) <= limit else None


def singular(word: str) -> str:
    return word[:-1] if word.endswith("s") else word


@v_args(meta=True)
class Lower(Transformer_NonRecursive):
    """Builds model nodes bottom-up; problems that only lowering can see (an impossible date,
    an unknown duration unit) are collected in `diagnostics` instead of raised. Without
    recursion, so a deep formula is measured and refused, not a RecursionError."""

    def __init__(self, source: SourceFile):
        super().__init__()
        self.file = source
        self.diagnostics: list[Diagnostic] = []

    # ---- positions --------------------------------------------------------------------
    def span(self, meta: Meta) -> Span:
        return Span(self.file, meta.line, meta.column, meta.end_line, meta.end_column)

    def tspan(self, token: Token) -> Span:
        # Every token the lexer hands over carries its position; lark types them Optional
        # only for tokens built by hand.
        assert token.line is not None and token.column is not None
        assert token.end_line is not None and token.end_column is not None
        return Span(self.file, token.line, token.column, token.end_line, token.end_column)

    def ident(self, token: Token) -> d.Ident:
        return d.Ident(name=str(token), span=self.tspan(token))

    def problem(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code=code, message=message, span=span, hint=hint))

    def text(self, token: Token) -> str:
        """A string literal's value. Characters no engine stores in text (NUL, halves of a
        surrogate pair) and escapes Python cannot read are problems."""
        with warnings.catch_warnings():  # an unknown escape such as \d stays as written
            warnings.simplefilter("ignore")
            try:
                value = ast.literal_eval(token)
            except (SyntaxError, ValueError):
                value = None
        if value is None:
            self.problem(
                "bad-literal",
                f"{token} has an incomplete or unknown escape",
                self.tspan(token),
                STRING_ESCAPES,
            )
            return ""
        for char in value:
            if char == "\0" or "\ud800" <= char <= "\udfff":
                self.problem(
                    "bad-literal",
                    f"a string cannot hold the character U+{ord(char):04X}",
                    self.tspan(token),
                    "no engine stores it in text; remove it",
                )
                return ""
        return value

    def formula(self, node: e.Expr) -> e.Expr:
        """`node`, or, when it nests deeper than the engines can follow, a placeholder of
        unknown type (so checking goes on without it) and a problem."""
        deep = e.deeper_than(node, e.MAX_NESTING)
        if deep is None:
            return node
        self.problem(
            "too-deep",
            f"this formula nests more than {e.MAX_NESTING} levels deep",
            deep.span,
            "split it into named metrics or columns; each counts its references' levels too",
        )
        return e.Literal(value=None, type=Type.UNKNOWN, span=node.span)

    # ---- file and declarations --------------------------------------------------------
    def start(self, meta, children):
        return tuple(child for child in children if child is not None)

    def calendar(self, meta, items):
        settings = dict(items)
        return d.CalendarDecl(
            timezone=settings.get("timezone", "UTC"),
            week_start=settings.get("week_start", "monday"),
            span=self.span(meta),
            fiscal_year_start=settings.get("fiscal_year_start"),
            fiscal_year_label=settings.get("fiscal_year_label"),
        )

    def include(self, meta, children):
        reported = len(self.diagnostics)
        target = self.text(children[0])
        if len(self.diagnostics) > reported:  # its "" would include this file's own folder
            return None
        return d.IncludeDecl(
            target=target, span=self.span(meta), target_span=self.tspan(children[0])
        )

    def include_library(self, meta, children):
        first, last = children[0], children[-1]
        return d.IncludeDecl(
            target=".".join(str(token) for token in children),
            span=self.span(meta),
            target_span=Span(self.file, first.line, first.column, last.end_line, last.end_column),
            library=True,
        )

    def project(self, meta, items):
        roots = tuple(root for kind, value in items if kind == "data_roots" for root in value)
        return d.ProjectDecl(
            confine=any(kind == "confine" for kind, _ in items),
            data_roots=roots,
            span=self.span(meta),
        )

    def prj_confine(self, meta, children):
        return ("confine", True)

    def prj_data_roots(self, meta, children):
        roots = tuple(
            e.Literal(value=self.text(token), type=Type.STRING, span=self.tspan(token))
            for token in children
        )
        return ("data_roots", roots)

    def cal_timezone(self, meta, children):
        return ("timezone", self.text(children[0]))

    def cal_week_start(self, meta, children):
        return ("week_start", str(children[0]).lower())

    def cal_fiscal_year_start(self, meta, children):
        return ("fiscal_year_start", self.ident(children[0]))

    def cal_fiscal_year_label(self, meta, children):
        return ("fiscal_year_label", self.ident(children[0]))

    def source(self, meta, children):
        name, connector, *items = children
        # One value type per clause (lark's children are untyped); see the src_* methods.
        fields: dict[str, Any] = {"key": None, "time": None, "validity": None}
        links, identities, columns, expectations = [], [], [], []
        for kind, value, span in items:
            if kind == "expect":
                expectations.append(value)
            elif kind == "link":
                links.append(value)
            elif kind == "identity":
                identities.append(value)
            elif kind == "column":
                columns.append(value)
            elif fields[kind] is not None:
                self.problem(
                    "duplicate-clause",
                    f"source `{name}` declares `{kind}` twice",
                    span,
                    "keep one of them",
                )
            else:
                fields[kind] = value
        return d.SourceDecl(
            name=self.ident(name),
            connector=connector,
            key=fields["key"],
            time=fields["time"],
            validity=fields["validity"],
            links=tuple(links),
            identities=tuple(identities),
            columns=tuple(columns),
            expectations=tuple(expectations),
            span=self.span(meta),
        )

    def connector_call(self, meta, children):
        name, *args = children
        positional = tuple(a for a in args if isinstance(a, e.Literal))
        options = tuple(a for a in args if isinstance(a, tuple))
        return d.ConnectorCall(
            name=self.ident(name), args=positional, options=options, span=self.span(meta)
        )

    def conn_positional(self, meta, children):
        return children[0]

    def conn_option(self, meta, children):
        return (str(children[0]), children[1])

    def src_key(self, meta, children):
        return ("key", self.ident(children[0]), self.span(meta))

    def src_time(self, meta, children):
        return ("time", self.ident(children[0]), self.span(meta))

    def src_link(self, meta, children):
        column, target = children
        link = d.EntityLink(
            column=self.ident(column), target=self.ident(target), span=self.span(meta)
        )
        return ("link", link, self.span(meta))

    def src_identity(self, meta, children):
        column, entity = children
        identity = d.EntityIdentity(
            column=self.ident(column), entity=self.ident(entity), span=self.span(meta)
        )
        return ("identity", identity, self.span(meta))

    def src_valid(self, meta, children):
        start, end = children
        validity = d.Validity(start=self.ident(start), end=self.ident(end), span=self.span(meta))
        return ("validity", validity, self.span(meta))

    def src_column(self, meta, children):
        name, type_name, formula = children
        declared = None
        if type_name is not None:
            declared = TYPE_NAMES.get(str(type_name).lower())
            if declared is None:
                self.problem(
                    "unknown-type",
                    f"unknown column type `{type_name}`",
                    self.tspan(type_name),
                    "use one of: " + ", ".join(sorted(TYPE_NAMES)),
                )
        if formula is not None:
            formula = self.formula(formula)
        column = d.ColumnDecl(
            name=self.ident(name), type=declared, expr=formula, span=self.span(meta)
        )
        return ("column", column, self.span(meta))

    def src_expect_unique(self, meta, children):
        columns = tuple(self.ident(c) for c in children)
        return ("expect", d.ExpectUnique(columns=columns, span=self.span(meta)), self.span(meta))

    def src_expect_in(self, meta, children):
        value, target = children
        expectation = d.ExpectIn(value=value, target=self.ident(target), span=self.span(meta))
        return ("expect", expectation, self.span(meta))

    def src_expect(self, meta, children):
        expectation = d.ExpectCondition(condition=children[0], span=self.span(meta))
        return ("expect", expectation, self.span(meta))

    def metric(self, meta, children):
        name, label, formula, *items = children
        fields = self.metric_clauses(name, label, items, meta)
        return d.MetricDecl(
            name=self.ident(name),
            formula=self.formula(formula),
            span=self.span(meta),
            **fields,
        )

    def override(self, meta, children):
        name, label, formula, *items = children
        fields = self.metric_clauses(name, label, items, meta, override=True)
        return d.OverrideDecl(
            name=self.ident(name),
            formula=self.formula(formula) if formula is not None else None,
            span=self.span(meta),
            **fields,
        )

    def metric_clauses(
        self, name: Token, label: Token | None, items, meta, *, override: bool = False
    ) -> dict[str, Any]:
        """A metric's (or an override's) clauses by field, each None when not written."""
        # One value type per clause (lark's children are untyped); see the m_* methods.
        fields: dict[str, Any] = {}
        for key, value, span in items:
            if key in fields:
                self.problem(
                    "duplicate-clause", f"metric `{name}` sets `{key}` twice", span, "keep one"
                )
            fields[key] = value
        if label is not None and "label" in fields:
            self.problem(
                "duplicate-clause",
                f"metric `{name}` has a label after its name and a `label` clause",
                self.span(meta),
                "keep one of them",
            )
        target = fields.get("target")
        direction = fields.get("direction")
        warn = fields.get("warn")
        if target is not None:
            target = directed(attrs.evolve(target, warn=warn), direction)
            warn = None
        elif warn is not None and not override:
            self.problem(
                "band-without-target",
                f"metric `{name}` has a `warn` band but no target",
                warn.span,
                "add the target the band is around, e.g. `target >= 40 warn >= 30`",
            )
        return {
            "label": self.text(label) if label is not None else fields.get("label"),
            "description": fields.get("description"),
            "unit": fields.get("unit"),
            "format": fields.get("format"),
            "direction": direction,
            "target": target,
            # An override's band alone widens the library's target (check/overrides.py).
            **({"warn": warn} if override else {}),
        }

    def m_description(self, meta, children):
        return ("description", self.text(children[0]), self.span(meta))

    def m_label(self, meta, children):
        return ("label", self.text(children[0]), self.span(meta))

    def m_unit(self, meta, children):
        return ("unit", self.text(children[0]), self.span(meta))

    def m_format(self, meta, children):
        return ("format", str(children[0]).lower(), self.span(meta))

    def m_direction(self, meta, children):
        return ("direction", children[0], self.span(meta))

    def direction(self, meta, children):
        return str(children[0])

    def duration_unit(self, meta, children):
        return str(children[0])

    def m_target(self, meta, children):
        op, value = children
        return ("target", self.target(meta, str(op or ""), value, None), self.span(meta))

    def m_target_range(self, meta, children):
        low, high = children
        return ("target", self.target(meta, "between", low, high), self.span(meta))

    def m_warn(self, meta, children):
        op, value = children
        return ("warn", self.target(meta, str(op or ""), value, None), self.span(meta))

    def m_warn_range(self, meta, children):
        low, high = children
        return ("warn", self.target(meta, "between", low, high), self.span(meta))

    def target(self, meta, op: str, value, high) -> d.Target:
        """A target (or a warn band) from its values, each `(number, formula, written)` as
        `target_value` reads it; a range is of numbers, written alike."""
        number, goal, written = value
        if high is not None and (goal is not None or high[1] is not None):
            self.problem(
                "bad-target",
                "a target range is between two numbers, not formulas",
                self.span(meta),
                "write `target between 60 and 80`, or compare with a formula: `target >= ...`",
            )
            number, goal = None, None
        elif high is not None and high[2] != written:
            self.problem(
                "bad-target",
                "the two ends of a target range are written alike (both numbers, both "
                "percentages or both durations)",
                self.span(meta),
                "write both ends the same way, e.g. `between 60% and 80%`",
            )
        if isinstance(goal, e.Parameter) and high is None:
            # `target >= $goal`: a constant the query sets, its default until checked
            # (check/parameters.py, `with_target`), not a formula computed per row.
            return d.Target(op=op, value=0.0, parameter=goal, span=self.span(meta))
        return d.Target(
            op=op,
            value=number,
            high=high[0] if high is not None else None,
            goal=goal,
            written=written,
            span=self.span(meta),
        )

    def target_value(self, meta, children):
        """A number as written (a duration in seconds), or a formula read from the data."""
        (node,) = children
        if isinstance(node, e.Literal) and node.type in (Type.INTEGER, Type.FLOAT):
            return (float(node.value), None, d.Written.NUMBER)  # type: ignore[arg-type]
        if isinstance(node, e.Literal) and node.type == Type.DURATION:
            seconds = node.value.total_seconds() if node.value is not None else None  # type: ignore[attr-defined]
            return (seconds, None, d.Written.DURATION)
        return (None, self.formula(node), d.Written.NUMBER)

    def t_percent(self, meta, children):
        return (float(children[0]) / 100, None, d.Written.PERCENT)

    def parameter(self, meta, children):
        name, type_name, default = children
        return d.ParameterDecl(
            name=self.ident(name),
            type_name=self.ident(type_name),
            default=self.formula(default),
            span=self.span(meta),
        )

    def dimension(self, meta, children):
        name, label, formula = children
        return d.DimensionDecl(
            name=self.ident(name),
            label=self.text(label) if label is not None else None,
            expr=self.formula(formula),
            span=self.span(meta),
        )

    # ---- scorecards -------------------------------------------------------------------
    def scorecard(self, meta, children):
        name, label, *items = children
        # One value type per clause (lark's children are untyped); see the sc_* methods.
        fields: dict[str, Any] = {}
        loose: list[Any] = []  # metrics and charts written outside any section
        sections = []
        for key, value, span in items:
            if key == "section":
                sections.append(value)
            elif key in ("metrics", "chart"):
                loose.append((key, value, span))
            elif key in fields:
                self.problem(
                    "duplicate-clause", f"scorecard `{name}` sets `{key}` twice", span, "keep one"
                )
            else:
                fields[key] = value
        title = self.text(label) if label is not None else None
        if loose:
            sections.insert(0, self.build_section(title or str(name), loose, self.span(meta)))
        return d.ScorecardDecl(
            name=self.ident(name),
            label=title,
            description=fields.get("description"),
            grain=fields.get("grain"),
            periods=fields.get("periods"),
            comparisons=fields.get("compare", ()),
            by=fields.get("by", ()),
            sections=tuple(sections),
            span=self.span(meta),
        )

    def scorecard_item(self, meta, children):
        return children[0]

    def sc_description(self, meta, children):
        return ("description", self.text(children[0]), self.span(meta))

    def sc_grain(self, meta, children):
        return ("grain", self.ident(children[0]), self.span(meta))

    def sc_periods(self, meta, children):
        count = bounded_int(children[0], MAX_SCORECARD_PERIODS)
        if not count:
            self.problem(
                "out-of-range",
                f"a scorecard shows from 1 to {MAX_SCORECARD_PERIODS:,} periods, not {children[0]}",
                self.tspan(children[0]),
                "show fewer periods; `metricsmith query` computes any range",
            )
        return ("periods", count or None, self.span(meta))

    def sc_compare(self, meta, children):
        return ("compare", tuple(self.ident(t) for t in children), self.span(meta))

    def sc_by(self, meta, children):
        return ("by", children[0], self.span(meta))

    def sc_section(self, meta, children):
        title, *items = children
        section = self.build_section(self.text(title), items, self.span(meta))
        return ("section", section, self.span(meta))

    def build_section(self, title: str, items: list[Any], span: Span) -> d.SectionDecl:
        metrics = tuple(m for key, value, _ in items if key == "metrics" for m in value)
        charts = tuple(value for key, value, _ in items if key == "chart")
        return d.SectionDecl(title=title, metrics=metrics, charts=charts, span=span)

    def sc_metrics(self, meta, children):
        return ("metrics", tuple(self.ident(t) for t in children), self.span(meta))

    def sc_chart(self, meta, children):
        kind, title, formulas, total, by = children
        chart = d.ChartDecl(
            kind=self.ident(kind),
            title=self.text(title),
            formulas=formulas,
            total=self.ident(total) if total is not None else None,
            by=by or (),
            span=self.span(meta),
        )
        return ("chart", chart, self.span(meta))

    # ---- expressions ------------------------------------------------------------------
    def or_(self, meta, children):
        return e.Binary(op="or", left=children[0], right=children[1], span=self.span(meta))

    def and_(self, meta, children):
        return e.Binary(op="and", left=children[0], right=children[1], span=self.span(meta))

    def not_(self, meta, children):
        return e.Unary(op="not", operand=children[0], span=self.span(meta))

    def compare(self, meta, children):
        left, op, right = children
        return e.Binary(op=str(op), left=left, right=right, span=self.span(meta))

    arith = compare

    def neg(self, meta, children):
        (operand,) = children
        if (
            isinstance(operand, e.Literal)
            and operand.type in (Type.INTEGER, Type.FLOAT)
            and isinstance(operand.value, int | float)
        ):
            return e.Literal(value=-operand.value, type=operand.type, span=self.span(meta))
        return e.Unary(op="-", operand=operand, span=self.span(meta))

    def is_null(self, meta, children):
        return e.IsNull(operand=children[0], negated=False, span=self.span(meta))

    def is_not_null(self, meta, children):
        return e.IsNull(operand=children[0], negated=True, span=self.span(meta))

    def in_list(self, meta, children):
        return e.InList(operand=children[0], items=children[1], negated=False, span=self.span(meta))

    def not_in_list(self, meta, children):
        return e.InList(operand=children[0], items=children[1], negated=True, span=self.span(meta))

    def expr_list(self, meta, children):
        return tuple(children)

    def offset(self, meta, children):
        operand, k = children
        periods = bounded_int(k, MAX_OFFSET)
        if periods is None:
            self.problem(
                "out-of-range",
                f"an offset of {k} periods; offsets reach at most {MAX_OFFSET:,} periods",
                self.tspan(k),
                "compare with a period that near, or use a window (`over all time`)",
            )
        return e.Offset(operand=operand, periods=periods or 0, span=self.span(meta))

    def window(self, meta, children):
        operand, (kind, count, unit) = children
        return e.Window(operand=operand, kind=kind, count=count, unit=unit, span=self.span(meta))

    def placed_at(self, meta, children):
        operand, column = children
        return e.At(operand=operand, column=column, span=self.span(meta))

    def w_last(self, meta, children):
        count, token = children
        unit = self.window_unit(token)
        longest = MAX_WINDOW.get(unit, MAX_YEARS) if unit else MAX_YEARS
        length = bounded_int(count, longest)
        if length is None:
            name = unit or singular(str(token).lower())
            self.problem(
                "out-of-range",
                f"a window of {count} {name}s; windows span at most {MAX_YEARS:,} "
                f"years ({longest:,} {name}s)",
                self.tspan(count),
                "for everything up to each period, write `over all time`",
            )
        return (WindowKind.LAST, 1 if length is None else length, unit)

    def w_last_param(self, meta, children):
        token, unit = children
        # The length is the parameter's value, checked against the window limits per query.
        return (WindowKind.LAST, self.parameter_ref(None, [token]), self.window_unit(unit))

    def w_to_date(self, meta, children):
        return (WindowKind.TO_DATE, None, self.window_unit(children[0]))

    def w_all_time(self, meta, children):
        return (WindowKind.ALL_TIME, None, None)

    def window_unit(self, token: Token) -> Grain | None:
        """The grain a window counts in; None (after a problem) when it is not one."""
        unit = singular(str(token).lower())
        if unit not in GRAINS:
            self.problem(
                "unknown-unit",
                f"unknown period `{token}` in a window",
                self.tspan(token),
                "use days, weeks, months, quarters, years, fiscal_quarters or fiscal_years",
            )
            return None
        return Grain(unit)

    def parameter_ref(self, meta, children):
        (token,) = children
        return e.Parameter(name=str(token)[1:], span=self.tspan(token))

    def name(self, meta, children):
        return e.Name(parts=tuple(str(c) for c in children), span=self.span(meta))

    def call(self, meta, children):
        name, body = children
        if isinstance(body, _ConversionBody):
            return body.conversion(str(name).lower(), self.span(meta), self.tspan(name))
        args, where, per = body if body is not None else ((), None, None)
        return e.Call(
            name=str(name).lower(),
            args=args,
            where=where,
            per=per,
            span=self.span(meta),
            name_span=self.tspan(name),
        )

    def call_args(self, meta, children):
        args, where = children
        return (args, where, None)

    def call_per(self, meta, children):
        target, body, where = children
        per = e.Per(target=str(target), body=body, span=self.span(meta))
        return ((), where, per)

    def call_conversion(self, meta, children):
        bases, base_where, every, target, target_where, within = children
        if len(bases) > 1:
            self.problem(
                "bad-conversion",
                "a conversion starts from one source",
                bases[1].span,
                "write `conversions(<base source> -> <conversion source> within 30 days)`",
            )
        return _ConversionBody(
            bases[0], base_where, every is not None, target, target_where, within
        )

    def conversion_every(self, meta, children):
        return True

    def case(self, meta, children):
        *whens, default = children
        return e.Case(whens=tuple(whens), default=default, span=self.span(meta))

    def when(self, meta, children):
        return (children[0], children[1])

    # ---- literals ---------------------------------------------------------------------
    def literal_node(self, meta, value: object, type_: Type) -> e.Literal:
        return e.Literal(value=value, type=type_, span=self.span(meta))

    def number(self, meta, children):
        text = str(children[0])
        if any(c in text for c in ".eE"):
            return self.literal_node(meta, float(text), Type.FLOAT)
        # Python converts at most 4,300 digits; an integer that long is far out of range,
        # which the checker reports (check/literals.py).
        value = int(text) if len(text) <= _MAX_INTEGER_DIGITS else float(text)
        return self.literal_node(meta, value, Type.INTEGER)

    def duration(self, meta, children):
        amount, unit = children
        length = DURATION_UNITS[singular(unit)]
        if float(amount) * (length / MAX_DURATION) > 1:
            self.problem(
                "out-of-range",
                f"`{amount} {unit}` is longer than {MAX_YEARS:,} years, the longest duration",
                self.span(meta),
                "no engine can add it to a date; compare with a shorter duration",
            )
            return self.literal_node(meta, None, Type.DURATION)
        return self.literal_node(meta, float(amount) * length, Type.DURATION)

    def string(self, meta, children):
        return self.literal_node(meta, self.text(children[0]), Type.STRING)

    def true(self, meta, children):
        return self.literal_node(meta, True, Type.BOOLEAN)

    def false(self, meta, children):
        return self.literal_node(meta, False, Type.BOOLEAN)

    def null(self, meta, children):
        return self.literal_node(meta, None, Type.NULL)

    def date(self, meta, children):
        text = str(children[0])[1:]
        try:
            return self.literal_node(meta, dt.date.fromisoformat(text), Type.DATE)
        except ValueError:
            self.problem(
                "bad-literal",
                f"`@{text}` is not a valid date",
                self.span(meta),
                "write dates as @YYYY-MM-DD",
            )
            return self.literal_node(meta, None, Type.DATE)

    def timestamp(self, meta, children):
        text = str(children[0])[1:]
        try:
            value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
            return self.literal_node(meta, value, Type.TIMESTAMP)
        except ValueError:
            self.problem(
                "bad-literal",
                f"`@{text}` is not a valid timestamp",
                self.span(meta),
                "write timestamps as @YYYY-MM-DDTHH:MM[:SS][Z|+HH:MM]",
            )
            return self.literal_node(meta, None, Type.TIMESTAMP)


@attrs.frozen
class _ConversionBody:
    """The inside of `name(base -> target within <duration>)`, until `call` knows the name."""

    base: e.Expr
    base_where: e.Expr | None
    every: bool
    target: e.Expr
    target_where: e.Expr | None
    within: e.Expr

    def conversion(self, function: str, span: Span, name_span: Span) -> e.Conversion:
        return e.Conversion(
            function=function,
            base=self.base,
            base_where=self.base_where,
            target=self.target,
            target_where=self.target_where,
            within=self.within,
            every=self.every,
            span=span,
            name_span=name_span,
        )
