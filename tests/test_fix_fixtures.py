"""Golden files for ``lint-rules fix``: ``tests/fixtures/fix/<case>.py`` becomes
``<case>.fixed.py``, byte for byte; the fixed file re-lints with no fixable finding and fixing
it again changes nothing.

A case that needs opt-in rewrites says so in a comment line of its own, parsed as
``lint-rules fix`` parses its command line::

    # fix options: --drain --declare-dispatch-mode=blocking

After a deliberate change to the codemod, regenerate the golden files and review the diff::

    python -m tests.test_fix_fixtures
"""

from __future__ import annotations

import re
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from lint_rules import cli
from lint_rules.cli import fix
from lint_rules.cli.fix_file import FileResult, Job, fix_file
from lint_rules.cli.selection import Selection
from lint_rules.rules import analyze
from lint_rules.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures" / "fix"
CASES = sorted(p for p in FIXTURES.glob("*.py") if not p.name.endswith(".fixed.py"))
MODULES = FIXTURES / "_modules"  # what the runnable cases import
OPTIONS_LINE = re.compile(r"^# fix options: (.*)$", re.MULTILINE)
# cases in which nothing can be fixed, and why
UNCHANGED = {
    # TRK103 and TRK106 have no rewrite; TRK104 has one for lambdas, not for functools.partial
    "unfixable": {"no autofix for this code", "no safe rewrite for this shape"},
    "class_metaclass": {
        "the class body may not be an ordinary namespace (a base or metaclass the codemod "
        "does not know)"
    },
    "drain_unfixable": {"the entry coroutine is a generator", "the entry coroutine never returns"},
}
# cases whose findings have a fix that this module does not allow
REFUSED = {"drain_unfixable", "class_metaclass"}
# cases in which fixing a finding makes another one, fixed in the same run
FOLLOW_UPS = {"drain_cascade": 1}
# options that tune an opt-in fix rather than enable one
TUNING = {"drain_timeout"}
NEWER_SYNTAX = {"match_case": (3, 10)}


def text_of(path: Path) -> str:
    import tokenize

    with tokenize.open(path) as stream:
        return stream.read()


def options_of(case: Path) -> dict[str, Any]:
    """The fix options the case's ``# fix options:`` line gives, as ``lint-rules fix``
    reads them (none without such a line)."""
    found = OPTIONS_LINE.search(text_of(case))
    arguments = shlex.split(found.group(1)) if found else []
    args = cli.build_parser().parse_args(["fix", *arguments])
    return fix.fix_options(args)


def job_for(case: Path) -> Job:
    return Job(Settings(), Selection(), options_of(case), "write")


def golden(case: Path) -> Path:
    return case.with_name(f"{case.stem}.fixed.py")


def fix_copy(source: Path, directory: Path, job: Job | None = None) -> tuple[Path, FileResult]:
    """Fix a copy of ``source`` with ``job`` (by default, the options of its case)."""
    copy = directory / source.name
    shutil.copyfile(source, copy)
    case = source.with_name(source.name.replace(".fixed.py", ".py"))
    return copy, fix_file(copy, job or job_for(case))


@pytest.fixture(params=CASES, ids=lambda case: case.stem)
def case(request: pytest.FixtureRequest) -> Path:
    path: Path = request.param
    version = NEWER_SYNTAX.get(path.stem)
    if version and sys.version_info < version:
        pytest.skip(f"{path.name} needs Python {'.'.join(map(str, version))} syntax")
    return path


def test_every_case_has_a_golden_file() -> None:
    missing = [case.name for case in CASES if not golden(case).exists()]
    assert not missing, "run `python -m tests.test_fix_fixtures` and review the diff"
    assert len(CASES) >= 15


def test_fix_gives_the_golden_file_byte_for_byte(case: Path, tmp_path: Path) -> None:
    copy, result = fix_copy(case, tmp_path)
    assert result.error is None
    assert copy.read_bytes() == golden(case).read_bytes()
    assert result.changed == (case.stem not in UNCHANGED)


def test_the_input_has_fixable_findings_and_the_output_none(case: Path) -> None:
    before = analyze(text_of(case), full=True)
    after = analyze(text_of(golden(case)), full=True)
    assert after == analyze(text_of(golden(case)))
    assert not [f for f in after if f.code == "TRK000"]
    if case.stem in REFUSED:  # fixable in itself, but not in this module
        assert [f for f in before if f.fix is not None] and after == before
        return
    assert [f for f in after if f.fix is not None] == []
    if case.stem in UNCHANGED:
        assert before and all(f.fix is None for f in before)
    else:
        assert [f for f in before if f.fix is not None]
        # what was not fixable before is still reported after
        assert sorted(f.code for f in before if f.fix is None) == sorted(f.code for f in after)


def test_findings_left_say_why(case: Path, tmp_path: Path) -> None:
    _, result = fix_copy(case, tmp_path)
    if case.stem in UNCHANGED:
        assert result.left and {why for _, why in result.left} == UNCHANGED[case.stem]
    follow_ups = FOLLOW_UPS.get(case.stem, 0)
    assert result.fixed + len(result.left) == len(analyze(text_of(case))) + follow_ups


@pytest.mark.parametrize(
    "opt_in",
    [c for c in CASES if any(options_of(c).values()) and c.stem not in FOLLOW_UPS],
    ids=lambda case: case.stem,
)
def test_opt_in_fixes_are_left_without_their_option(opt_in: Path, tmp_path: Path) -> None:
    copy, result = fix_copy(opt_in, tmp_path, Job(Settings(), Selection(), {}, "write"))
    enabling = {key: on for key, on in options_of(opt_in).items() if key not in TUNING}
    needs = {f"needs fix --{key.replace('_', '-')}" for key, on in enabling.items() if on}
    assert {why for _, why in result.left} == needs
    assert not result.changed and copy.read_bytes() == opt_in.read_bytes()


def test_fixing_the_fixed_file_changes_nothing(case: Path, tmp_path: Path) -> None:
    copy, result = fix_copy(golden(case), tmp_path)
    assert result.error is None and not result.changed and result.fixed == 0
    assert copy.read_bytes() == golden(case).read_bytes()


def test_golden_files_compile(case: Path) -> None:
    compile(golden(case).read_bytes(), str(golden(case)), "exec", dont_inherit=True)


def regenerate() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as directory:  # each case with its own options
        for case in CASES:
            copy, result = fix_copy(case, Path(directory))
            if result.error:
                raise SystemExit(f"{case}: {result.error}")
            golden(case).write_bytes(copy.read_bytes())
            print(f"{golden(case).name}: {result.fixed} fixed, {len(result.left)} left")


if __name__ == "__main__":
    regenerate()
