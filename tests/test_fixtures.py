"""Every fixture under tests/fixtures/ is checked exactly: the findings the engine reports are
the ones its comments expect, no more, no fewer, and the fast span-by-span analysis agrees
with a full parse of the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from lint_rules.rules import analyze
from tests.expectations import expected_findings, fixture_settings

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("*.py"))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: path.name)
def test_fixture_findings_are_exactly_the_expected_ones(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    expected = expected_findings(source)
    assert expected, f"{path.name} states no expected finding"
    findings = sorted(
        analyze(source, fixture_settings(source)), key=lambda f: (f.line, f.code, f.col)
    )
    assert [(f.line, f.code) for f in findings] == [(line, code) for line, code, _ in expected], (
        _explain(findings)
    )
    for finding, (_, _, column) in zip(findings, expected):
        if column is not None:
            assert finding.col + 1 == column, _explain([finding])


@pytest.mark.parametrize("path", FIXTURES, ids=lambda path: path.name)
def test_span_analysis_matches_full_parse(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    settings = fixture_settings(source)
    assert analyze(source, settings) == analyze(source, settings, full=True)


def _explain(findings: list) -> str:
    return "\n".join(f"{f.line}:{f.col + 1} {f.code} {f.message}" for f in findings)
