"""`lint-rules explain` names rules by code (any case), by name, by code prefix, and several
at once; an argument that names nothing is a one-line error suggesting the closest rule."""

from __future__ import annotations

import re

import pytest

from lint_rules.cli.docs import explain
from lint_rules.rules import all_infos, info_for
from tests.cli_helpers import lint_rules

HEADING = re.compile(r"^(TRK\d+) \(([a-z-]+)\): ", re.MULTILINE)


def explained(out: str) -> list[str]:
    """The codes whose explanations ``out`` holds, in order."""
    return [match.group(1) for match in HEADING.finditer(out)]


def test_code_prints_its_rule(capsys) -> None:
    info = info_for("TRK101")
    run = lint_rules(capsys, "explain", "TRK101")
    assert run.status == 0 and run.err == ""
    assert explained(run.out) == ["TRK101"]
    assert run.out.startswith(f"{info.code} ({info.name}): {info.summary}\n")
    assert info.explanation in run.out


def test_lowercase_code_is_the_code(capsys) -> None:
    upper = lint_rules(capsys, "explain", "TRK102")
    lower = lint_rules(capsys, "explain", "trk102")
    assert lower.status == 0
    assert explained(lower.out) == ["TRK102"]
    assert lower.out == upper.out


@pytest.mark.parametrize("info", all_infos(), ids=lambda info: info.code)
def test_name_prints_the_same_as_its_code(capsys, info) -> None:
    by_code = lint_rules(capsys, "explain", info.code)
    by_name = lint_rules(capsys, "explain", info.name)
    assert by_name.status == 0 and by_name.err == ""
    assert explained(by_name.out) == [info.code]
    assert by_name.out == by_code.out


def test_name_is_case_insensitive(capsys) -> None:
    run = lint_rules(capsys, "explain", "Discarded-Task")
    assert run.status == 0
    assert explained(run.out) == ["TRK101"]


@pytest.mark.parametrize("prefix", ["TRK1", "TRK10", "trk1", "TRK", "TRK2", "TRK30"])
def test_prefix_prints_every_matching_rule_in_code_order(capsys, prefix) -> None:
    expected = [info.code for info in all_infos() if info.code.startswith(prefix.upper())]
    assert len(expected) > 1, "the prefix should match several rules"
    run = lint_rules(capsys, "explain", prefix)
    assert run.status == 0 and run.err == ""
    assert explained(run.out) == sorted(expected)
    # each rule's explanation, one after another, a blank line between them
    assert run.out == "\n".join(explain(info_for(code)) for code in expected)


def test_prefix_output_joins_the_single_rule_outputs(capsys) -> None:
    singles = [lint_rules(capsys, "explain", code).out for code in ("TRK201", "TRK202")]
    run = lint_rules(capsys, "explain", "TRK2")
    assert run.out == "\n".join(singles)
    assert "\n\nTRK202 (" in run.out  # a blank line before the next rule


def test_several_arguments_in_the_order_given_without_duplicates(capsys) -> None:
    run = lint_rules(capsys, "explain", "TRK202", "discarded-task", "TRK2", "trk101", "TRK10")
    assert run.status == 0
    tasks = [info.code for info in all_infos() if info.code.startswith("TRK10")]
    assert explained(run.out) == ["TRK202", "TRK101", "TRK201", *tasks[1:]]
    assert len(set(explained(run.out))) == len(explained(run.out))


def test_several_arguments_in_markdown(capsys) -> None:
    run = lint_rules(capsys, "explain", "--markdown", "TRK301", "TRK1")
    assert run.status == 0
    headings = re.findall(r"^## (TRK\d+) ", run.out, re.MULTILINE)
    tasks = [info.code for info in all_infos() if info.code.startswith("TRK1")]
    assert headings == ["TRK301", *tasks]


@pytest.mark.parametrize(
    ("argument", "suggestion"),
    [("discarded-tsk", "discarded-task"), ("discarded_task", "discarded-task")],
)
def test_unknown_argument_is_one_line_suggesting_the_closest(capsys, argument, suggestion) -> None:
    run = lint_rules(capsys, "explain", "TRK101", argument)
    assert run.status == 2
    assert run.out == ""
    assert run.err.count("\n") == 1 and run.err.endswith("\n")
    assert run.err.startswith("lint-rules explain: error: ")
    assert repr(argument) in run.err
    assert f"did you mean {suggestion}?" in run.err
    for info in all_infos():
        assert info.code in run.err and info.name in run.err


def test_unknown_code_suggests_a_close_code(capsys) -> None:
    run = lint_rules(capsys, "explain", "TRK10l")
    assert run.status == 2
    assert re.search(r"did you mean TRK10\d\?", run.err)


def test_nothing_close_suggests_nothing(capsys) -> None:
    run = lint_rules(capsys, "explain", "zzzzzzzz")
    assert run.status == 2
    assert "did you mean" not in run.err
    assert "'zzzzzzzz'" in run.err


@pytest.mark.parametrize("argument", ["", "  ", "TRK1-", "TRK1010"])
def test_arguments_matching_nothing_are_errors(capsys, argument) -> None:
    run = lint_rules(capsys, "explain", argument)
    assert run.status == 2
    assert run.out == ""
    assert run.err.startswith("lint-rules explain: error: unknown ")


def test_help_teaches_the_new_forms(capsys) -> None:
    run = lint_rules(capsys, "explain", "--help")
    assert run.status == 0
    for example in ("explain discarded-task", "explain TRK1 ", "explain TRK101 TRK2"):
        assert example in run.out
