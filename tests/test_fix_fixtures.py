"""Golden files for ``lint-rules fix``: ``tests/fixtures/fix/<case>.py`` becomes
``<case>.fixed.py``, byte for byte; the fixed file re-lints with no fixable finding and fixing
it again changes nothing.

After a deliberate change to the codemod, regenerate the golden files and review the diff::

    python -m tests.test_fix_fixtures
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from lint_rules.engine import analyze
from lint_rules.fixer import FileResult, Job, fix_file
from lint_rules.selection import Selection
from lint_rules.settings import Settings

FIXTURES = Path(__file__).parent / "fixtures" / "fix"
CASES = sorted(p for p in FIXTURES.glob("*.py") if not p.name.endswith(".fixed.py"))
JOB = Job(Settings(), Selection(), {}, "write")
# cases in which nothing can be fixed, and why
UNCHANGED = {
    "unfixable": {"no safe rewrite for this shape", "no autofix for this code"},
    "set_rebound": {"the module rebinds set(), so no tracking set can be made"},
}
NEWER_SYNTAX = {"match_case": (3, 10)}


def golden(case: Path) -> Path:
    return case.with_name(f"{case.stem}.fixed.py")


def fix_copy(source: Path, directory: Path) -> tuple[Path, FileResult]:
    copy = directory / source.name
    shutil.copyfile(source, copy)
    return copy, fix_file(copy, JOB)


def text_of(path: Path) -> str:
    import tokenize

    with tokenize.open(path) as stream:
        return stream.read()


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
    if case.stem == "set_rebound":  # fixable in itself, but not in this module
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
    assert result.fixed + len(result.left) == len(analyze(text_of(case)))


def test_fixing_the_fixed_file_changes_nothing(case: Path, tmp_path: Path) -> None:
    copy, result = fix_copy(golden(case), tmp_path)
    assert result.error is None and not result.changed and result.fixed == 0
    assert copy.read_bytes() == golden(case).read_bytes()


def test_golden_files_compile(case: Path) -> None:
    compile(golden(case).read_bytes(), str(golden(case)), "exec", dont_inherit=True)


def regenerate() -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        for case in CASES:
            copy, result = fix_copy(case, Path(directory))
            if result.error:
                raise SystemExit(f"{case}: {result.error}")
            golden(case).write_bytes(copy.read_bytes())
            print(f"{golden(case).name}: {result.fixed} fixed, {len(result.left)} left")


if __name__ == "__main__":
    regenerate()
