"""The seed corpus: every reproduction of issue 10 (and every failure class the fuzzing found
since) as a small project with its data and the outcome a correct metricsmith gives. A case
whose fix has not merged yet is `xfail(strict=True)`: when the fix lands, the case passes,
strict turns that into a failure, and the mark (with the feature in
valid_projects.KNOWN_BROKEN, if it names one) is to be removed.
"""

from __future__ import annotations

import pytest
from corpus_case import CorpusCase


def _param(case: CorpusCase) -> pytest.param:
    marks = [pytest.mark.spark] if "spark" in case.engines else []
    if "postgres" in case.engines:
        marks.append(pytest.mark.postgres)
    if "xfail" in case.spec:
        marks.append(pytest.mark.xfail(strict=True, reason=case.spec["xfail"]))
    return pytest.param(case, marks=marks, id=case.name)


@pytest.mark.parametrize("case", [_param(case) for case in CorpusCase.all()])
def test_corpus_case(case: CorpusCase, tmp_path, request):
    session = request.getfixturevalue("spark_session") if "spark" in case.engines else None
    if "postgres" in case.engines:
        # `engine="postgres"` reaches the server of libpq's environment: the run's one.
        request.getfixturevalue("postgres_server")
    case.run(tmp_path, spark_session=session)


def test_every_case_says_what_it_reproduces_and_expects():
    for case in CorpusCase.all():
        assert case.spec.get("summary"), case.name
        assert case.spec["expect"]["outcome"] in (
            "table",
            "project-error",
            "query-error",
            "data-error",
            "consistent",
        ), case.name
        assert ("query" in case.spec) != ("cli" in case.spec), case.name
