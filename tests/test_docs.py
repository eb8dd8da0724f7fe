"""Rule documentation comes from one catalog (``engine.all_infos()``): `lint-rules explain`,
`lint-rules rules`, the README's table and docs/rules.md agree with it, and every rule's
examples do what they say."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lint_rules.cli import config
from lint_rules.cli.docs import options_table
from lint_rules.engine.info import RuleInfo
from lint_rules.rules import all_infos, analyze, known_codes
from lint_rules.settings import OPTIONS
from tests.cli_helpers import lint_rules
from tests.markdown_blocks import Block, blocks

REPOSITORY = Path(__file__).resolve().parents[1]
README = REPOSITORY / "README.md"
RULES_PAGE = REPOSITORY / "docs" / "rules.md"
CONFIGURATION_PAGE = REPOSITORY / "docs" / "configuration.md"


def generated_block(path: Path, marker: str) -> str:
    """The text between ``<!-- marker: ... -->`` and ``<!-- end marker -->``."""
    text = path.read_text(encoding="utf-8")
    match = re.search(rf"<!-- {marker}:[^\n]*-->\n(.*?)<!-- end {marker} -->", text, re.S)
    assert match, f"{path.name} lost its <!-- {marker} --> markers"
    return match.group(1)


def test_readme_rules_table_is_what_rules_markdown_prints(capsys) -> None:
    run = lint_rules(capsys, "rules", "--markdown")
    assert run.status == 0
    assert generated_block(README, "rules-table") == run.out, (
        "README.md is stale: replace its rules table with `lint-rules rules --markdown`"
    )


def test_rules_page_is_what_explain_all_markdown_prints(capsys) -> None:
    run = lint_rules(capsys, "explain", "--all", "--markdown")
    assert run.status == 0
    assert generated_block(RULES_PAGE, "rules") == run.out, (
        "docs/rules.md is stale: replace its body with `lint-rules explain --all --markdown`"
    )


def test_configuration_page_lists_every_option() -> None:
    assert generated_block(CONFIGURATION_PAGE, "options-table") == options_table(), (
        "docs/configuration.md is stale: replace its options table with "
        "lint_rules.docs.options_table()"
    )


def test_table_links_point_at_the_rules_page_headings() -> None:
    headings = {
        re.sub(r"[^a-z0-9 -]", "", line[3:].strip().lower()).replace(" ", "-")
        for line in RULES_PAGE.read_text(encoding="utf-8").splitlines()
        if line.startswith("## ")
    }
    anchors = re.findall(r"\(docs/rules\.md#([^)]+)\)", generated_block(README, "rules-table"))
    assert len(anchors) == len(all_infos())
    assert set(anchors) <= headings


@pytest.mark.parametrize(
    "document", [README, *sorted((REPOSITORY / "docs").glob("*.md"))], ids=lambda p: p.name
)
def test_relative_links_lead_somewhere(document: Path) -> None:
    text = document.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", text):
        if "://" not in target:
            assert (document.parent / target).exists(), f"{document.name} links to {target}"


def test_every_code_appears_in_explain_and_rules(capsys) -> None:
    listing = lint_rules(capsys, "rules").out.splitlines()
    assert [line.split()[0] for line in listing] == [info.code for info in all_infos()]
    for info in all_infos():
        run = lint_rules(capsys, "explain", info.code.lower())
        assert run.status == 0
        assert run.out.startswith(f"{info.code} ({info.name}): {info.summary}")
        assert info.explanation in run.out
        assert ("Autofix: yes" if info.autofix else "Autofix: no") in run.out
        for example in (info.bad, info.good):
            indented = "\n".join(f"    {line}" if line else "" for line in example.splitlines())
            assert indented.rstrip() in run.out


def test_explain_unknown_code_says_what_exists(capsys) -> None:
    run = lint_rules(capsys, "explain", "TRK999")
    assert run.status == 2
    assert "unknown code 'TRK999'" in run.err and "TRK101" in run.err


@pytest.mark.parametrize("kind", ["bad", "good"])
@pytest.mark.parametrize("info", all_infos(), ids=lambda info: info.code)
def test_catalog_examples_do_what_they_say(info: RuleInfo, kind: str) -> None:
    codes = [finding.code for finding in analyze(getattr(info, kind))]
    if kind == "bad":
        assert info.code in codes, f"{info.code}'s reported example is not reported"
    else:
        assert info.code not in codes, f"{info.code}'s fixed example is still reported"
    if info.code != "TRK000":
        assert "TRK000" not in codes


def shown_configurations(language: str, table: str) -> list:
    documents = [README, *sorted((REPOSITORY / "docs").glob("*.md"))]
    return [
        pytest.param(block, id=block.where)
        for document in documents
        for block in blocks(document)
        if block.language == language and table in block.text
    ]


@pytest.mark.parametrize("block", shown_configurations("toml", "[tool.lint-rules]"))
def test_shown_pyproject_tables_are_valid(block: Block, tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(block.text, encoding="utf-8")
    assert (
        config.load_config(pyproject, known_codes()).path == pyproject
    )  # raises on a bad key or value


@pytest.mark.parametrize("block", shown_configurations("ini", "[flake8]"))
def test_shown_flake8_options_exist(block: Block) -> None:
    keys = re.findall(r"^(trk-[a-z-]+)\s*=", block.text, re.M)
    assert keys and set(keys) <= {option.key for option in OPTIONS}
