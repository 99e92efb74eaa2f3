"""The ranking step on an answer's Arrow table (execute/ranking.py), without an engine: the keys
as written, groups with empty values, limits past the rows, an empty answer."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest
from metricsmith.execute.ranking import OrderKey, Ranking, ranked, ranking_of

ANSWER = pa.table(
    {
        "segment": ["SMB", None, "SMB", None, "Enterprise", None],
        "account": ["b", "e", "a", "d", "c", "f"],
        "mrr": pa.array([10.0, 5.0, 10.0, None, 7.0, 6.0]),
    }
)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("mrr", OrderKey("mrr")),
        ("mrr:asc", OrderKey("mrr")),
        ("-mrr", OrderKey("mrr", descending=True)),
        ("mrr:desc", OrderKey("mrr", descending=True)),
        ("mrr:status", OrderKey("mrr:status")),  # a status column, not a direction
        ("-mrr:status", OrderKey("mrr:status", descending=True)),
    ],
)
def test_a_key_as_written(text, key):
    assert OrderKey.parse(text) == key


def test_empty_values_form_one_group_listed_last():
    ranking = ranking_of("-mrr", 1, "segment", ["segment", "account"])
    # Enterprise: c (7). SMB: a and b tie at 10, the account decides: a. The empty segment
    # holds e (5), d (no mrr) and f (6): f.
    assert ranked(ANSWER, ranking, None).to_pylist() == [
        {"segment": "Enterprise", "account": "c", "mrr": 7.0},
        {"segment": "SMB", "account": "a", "mrr": 10.0},
        {"segment": None, "account": "f", "mrr": 6.0},
    ]


def test_a_limit_past_the_rows_keeps_them_all_and_an_empty_answer_stays_empty():
    ranking = ranking_of("mrr", 100, (), ["segment", "account"])
    # Ascending: 5 (e), 6 (f), 7 (c), 10 (a before b), no mrr (d) last.
    assert ranked(ANSWER, ranking, None).column("account").to_pylist() == list("efcabd")
    per = ranking_of("mrr", 2, "segment", ["segment", "account"])
    assert ranked(ANSWER.slice(0, 0), per, None).num_rows == 0


def test_without_a_ranking_the_answer_is_unchanged():
    assert ranked(ANSWER, Ranking(), None) is ANSWER


def test_the_period_groups_unless_the_order_names_it():
    months = [dt.date(2024, 2, 1), dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 1, 1)]
    answer = pa.table({"month": months, "mrr": [3, 1, 4, 2]})
    within = ranked(answer, ranking_of("-mrr", 1, (), ()), "month")
    assert within.to_pylist() == [
        {"month": dt.date(2024, 1, 1), "mrr": 2},
        {"month": dt.date(2024, 2, 1), "mrr": 4},
    ]
    across = ranked(answer, ranking_of(["-mrr", "month"], 1, (), ()), "month")
    assert across.to_pylist() == [{"month": dt.date(2024, 2, 1), "mrr": 4}]
