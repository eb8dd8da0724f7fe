"""End to end through the real flake8 program: exact output, 1-based columns, noqa, options,
and a file libcst cannot parse reported as TRK000 while the run goes on."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # the real flake8, in subprocesses

DANGLING = textwrap.dedent(
    """\
    import asyncio


    async def main(loop):
        asyncio.create_task(work())
        loop.create_task(work())
        asyncio.create_task(work())  # noqa: TRK101
        asyncio.create_task(work())  # noqa


    async def work():
        pass
    """
)
# Python accepts this line; libcst 1.x raises TypeError on it (LibCST issue #1061).
LIBCST_REJECTS = textwrap.dedent(
    """\
    import asyncio


    def go(x):
        asyncio.ensure_future(x)
        return () if 0 else(lambda:())
    """
)


def flake8(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flake8", "--select=TRK", *args, "."],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_reports_exact_lines_with_one_based_columns_and_honours_noqa(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(DANGLING, encoding="utf-8")
    result = flake8(tmp_path)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert [line.split(" ", 1)[0] for line in lines] == ["./app.py:5:5:", "./app.py:6:5:"]
    assert all(" TRK101 the task from " in line for line in lines)
    assert "loop.create_task()" in lines[1]


def test_loop_name_heuristic_can_be_turned_off_from_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(DANGLING, encoding="utf-8")
    (tmp_path / "setup.cfg").write_text("[flake8]\ntrk-loop-names =\n", encoding="utf-8")
    result = flake8(tmp_path)
    assert [line.split(" ", 1)[0] for line in result.stdout.splitlines()] == ["./app.py:5:5:"]


def test_unparseable_file_gives_trk000_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "a_bad.py").write_text(LIBCST_REJECTS, encoding="utf-8")
    (tmp_path / "b_app.py").write_text(DANGLING, encoding="utf-8")
    result = flake8(tmp_path)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("./a_bad.py:4:1: TRK000 could not analyse this file: libcst")
    assert [line.split(" ", 1)[0] for line in lines[1:]] == ["./b_app.py:5:5:", "./b_app.py:6:5:"]


def test_task_factories_option_adds_a_factory(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(
        "from mypkg import spawn\n\n\ndef go():\n    spawn(work())\n", encoding="utf-8"
    )
    assert flake8(tmp_path).stdout == ""
    result = flake8(tmp_path, "--trk-task-factories=mypkg.spawn")
    assert result.stdout.startswith("./app.py:5:5: TRK101 the task from spawn()")


def test_plugin_imports_libcst_only_for_files_that_can_matter(tmp_path: Path) -> None:
    """libcst costs about a quarter of a second to import: a flake8 run over files with no
    trigger word must not pay it (the plugin's pre-filter runs first). Once imported, its
    objects are frozen out of the garbage collector's way, once per process."""
    probe = textwrap.dedent(
        """\
        import ast, gc, sys
        from lint_rules.flake8_plugin import Plugin
        quiet = "x = 1\\n"
        list(Plugin(ast.parse(quiet), [quiet]).run())
        print("libcst" in sys.modules, gc.get_freeze_count() > 0)
        busy = "import asyncio\\nasyncio.ensure_future(go())\\n"
        list(Plugin(ast.parse(busy), [busy]).run())
        print("libcst" in sys.modules, gc.get_freeze_count() > 0)
        frozen = gc.get_freeze_count()
        list(Plugin(ast.parse(busy), [busy]).run())
        print(gc.get_freeze_count() == frozen)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.split() == ["False", "False", "True", "True", "True"]


@pytest.mark.parametrize("where", ["command line", "config file"])
@pytest.mark.parametrize("value", ["", "not valid", "a.b", "class"])
def test_a_bad_dispatch_attribute_stops_flake8_with_the_reason_lint_rules_gives(
    tmp_path: Path, value: str, where: str
) -> None:
    (tmp_path / "app.py").write_text(DANGLING, encoding="utf-8")
    if where == "config file":
        (tmp_path / "setup.cfg").write_text(f"[flake8]\ntrk-dispatch-attribute = {value}\n")
        arguments: tuple[str, ...] = ()
    else:
        arguments = (f"--trk-dispatch-attribute={value}",)
    result = flake8(tmp_path, *arguments)
    cli = subprocess.run(
        [sys.executable, "-m", "lint_rules", "check", f"--trk-dispatch-attribute={value}", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    reason = cli.stderr.strip().split(": ", 3)[-1]  # after "lint-rules: error: --flag: "
    assert (cli.returncode, result.returncode, result.stdout) == (2, 2, "")
    assert reason.startswith("trk-dispatch-attribute must be a Python identifier")
    assert result.stderr.splitlines()[-1] == (
        f"flake8: error: argument --trk-dispatch-attribute: {reason}"
    )
