"""The codemod machinery: fresh names, the tracking set, the libcst.tool route, and the
extension point for new fixes."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import libcst as cst
import pytest

from lint_rules.engine.info import Finding
from lint_rules.fix.apply import apply_fixes
from lint_rules.fix.context import FixContext
from lint_rules.fix.edits import Fix, RewriteNode
from lint_rules.rules import analyze, analyze_module

FIXTURES = Path(__file__).parent / "fixtures" / "fix"


def fix(source: str) -> str:
    module = cst.parse_module(textwrap.dedent(source))
    return apply_fixes(module, analyze_module(module)).module.code


def fixable(source: str) -> list[Finding]:
    return [finding for finding in analyze(source, full=True) if finding.fix is not None]


def test_a_name_used_only_in_a_nested_function_is_not_reused() -> None:
    fixed = fix(
        """\
        import asyncio

        def outer():
            asyncio.create_task(job())
            def inner():
                return _task
            return inner
        """
    )
    assert "    _task_1 = asyncio.create_task(job())\n" in fixed
    assert "return _task\n" in fixed


def test_a_global_declaration_counts_as_a_use() -> None:
    fixed = fix(
        """\
        import asyncio

        def spawn():
            global _task
            asyncio.create_task(job())
        """
    )
    assert "_task_1 = asyncio.create_task(job())" in fixed


def test_fresh_names_skip_every_taken_candidate() -> None:
    fixed = fix(
        """\
        import asyncio

        def spawn(_task, _task_1):
            asyncio.create_task(job(_task, _task_1))
        """
    )
    assert "_task_2 = asyncio.create_task(job(_task, _task_1))" in fixed


@pytest.mark.parametrize(
    "other_use",
    [
        "def f(_background_tasks):\n    pass\n",  # a parameter
        "def f():\n    _background_tasks = []\n",  # a local
        "def f():\n    global _background_tasks\n    _background_tasks = set()\n",
        "del _background_tasks\n",
        "for _background_tasks in ():\n    pass\n",
    ],
)
def test_an_existing_set_bound_anywhere_else_is_not_reused(other_use: str) -> None:
    source = f"import asyncio\n\n_background_tasks = set()\n{other_use}\n"
    source += "def spawn():\n    asyncio.create_task(job())\n"
    fixed = fix(source)
    assert '_background_tasks_1: "set[asyncio.Future[Any]]" = set()' in fixed
    assert "_background_tasks_1.add(_task)" in fixed
    assert not fixable(fixed)


def test_an_existing_set_is_reused_by_functions_before_it() -> None:
    source = "import asyncio\n\ndef spawn():\n    asyncio.create_task(job())\n\n"
    source += "_background_tasks = set()\n"
    fixed = fix(source)
    assert fixed.count("= set()") == 1
    assert "_background_tasks.add(_task)" in fixed


def test_a_set_defined_in_a_block_is_not_reused() -> None:
    source = "import asyncio\nif True:\n    _background_tasks = set()\n\n"
    source += "def spawn():\n    asyncio.create_task(job())\n"
    assert '_background_tasks_1: "set[asyncio.Future[Any]]" = set()' in fix(source)


def test_the_set_goes_after_the_import_block_but_before_other_code() -> None:
    fixed = fix(
        """\
        '''Docstring.'''
        from __future__ import annotations
        import asyncio
        try:
            import uvloop
        except ImportError:
            uvloop = None
        logger = make_logger()
        import late
        asyncio.ensure_future(job())
        """
    )
    lines = fixed.splitlines()
    assert (
        lines.index('_background_tasks: "set[asyncio.Future[Any]]" = set()')
        == lines.index("    uvloop = None") + 2
    )
    assert lines.index("logger = make_logger()") > lines.index(
        '_background_tasks: "set[asyncio.Future[Any]]" = set()'
    )


def test_an_import_block_holding_a_call_ends_the_header() -> None:
    fixed = fix(
        """\
        import asyncio
        try:
            import uvloop
        except ImportError:
            setup()
        asyncio.ensure_future(job())
        """
    )
    assert fixed.index('_background_tasks: "set[asyncio.Future[Any]]" = set()') < fixed.index(
        "try:"
    )


def test_a_call_split_across_lines_inside_outer_brackets_is_parenthesised() -> None:
    fixed = fix(
        """\
        import asyncio

        def spawn(loop):
            (loop
                .create_task(job())
                .add_done_callback(done))
        """
    )
    compile(fixed, "<fixed>", "exec")
    assert "_task = (loop\n        .create_task(job()))" in fixed


def test_statements_sharing_a_line_keep_their_order() -> None:
    fixed = fix(
        """\
        import asyncio

        def spawn():
            a(); asyncio.create_task(job()); b(); t = asyncio.create_task(job()); c()
        """
    )
    body = [
        line.strip() for line in fixed.splitlines()[fixed.splitlines().index("def spawn():") + 1 :]
    ]
    assert body == [
        "a()",
        "_task = asyncio.create_task(job())",
        "_background_tasks.add(_task)",
        "_task.add_done_callback(_background_tasks.discard)",
        "b()",
        "t = asyncio.create_task(job())",
        "_background_tasks.add(t)",
        "t.add_done_callback(_background_tasks.discard)",
        "c()",
    ]


def test_nothing_to_fix_gives_back_the_same_module() -> None:
    module = cst.parse_module("import asyncio\n\nasync def f():\n    await asyncio.sleep(1)\n")
    outcome = apply_fixes(module, analyze_module(module))
    assert outcome.module is module and not outcome.fixed and not outcome.left


# -- a new fix is a Fix subclass, and nothing else ---------------------------------------------


@dataclass(frozen=True)
class ToyDeclaration(Fix):
    """A toy class-level declaration, like TRK301's declare-dispatch-mode."""

    requires = "toy_mode"
    statement: cst.ClassDef

    def edit(self, context: FixContext) -> RewriteNode:
        line = cst.parse_statement(f"mode = {context.options['toy_mode']!r}\n")

        def rewrite(node: cst.ClassDef) -> cst.ClassDef:
            body = node.body
            assert isinstance(body, cst.IndentedBlock)
            return node.with_changes(body=body.with_changes(body=[line, *body.body]))

        return RewriteNode(self.statement, rewrite)


def test_a_new_fix_plugs_in_and_composes_with_the_others() -> None:
    source = (
        "import asyncio\n\nclass Hook:\n    def fire(self):\n        asyncio.create_task(job())\n"
    )
    module = cst.parse_module(source)
    hook = module.body[1]
    assert isinstance(hook, cst.ClassDef)
    declaration = Finding(3, 6, "TRK301", "declare it", ToyDeclaration(hook))
    findings = [*analyze_module(module), declaration]

    without = apply_fixes(module, findings, options={})
    assert [(left.finding.code, left.reason) for left in without.left] == [
        ("TRK301", "needs fix --toy-mode")
    ]

    fixed = apply_fixes(module, findings, options={"toy_mode": "blocking"}).module.code
    assert "class Hook:\n    mode = 'blocking'\n    def fire(self):\n" in fixed
    assert "        _background_tasks.add(_task)\n" in fixed  # the edit inside was kept


# -- the libcst.tool route ---------------------------------------------------------------------


def _libcst_tool(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "libcst.tool", "codemod", "-x"]
    command += ["lint_rules.codemod.TrackTasks", "--no-format", "--hide-progress", "-j", "1"]
    command += arguments
    return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120)


@pytest.mark.slow  # a subprocess, end to end
@pytest.mark.parametrize("case", ["scopes", "one_line_suites", "crlf", "module_level"])
def test_libcst_tool_runs_the_codemod(case: str, tmp_path: Path) -> None:
    shutil.copyfile(FIXTURES / f"{case}.py", tmp_path / "module.py")
    (tmp_path / "untouched.py").write_text("x = 1\n")
    result = _libcst_tool(tmp_path, ".")
    assert result.returncode == 0, result.stderr
    expected = (FIXTURES / f"{case}.fixed.py").read_bytes()
    assert (tmp_path / "module.py").read_bytes() == expected
    assert (tmp_path / "untouched.py").read_text() == "x = 1\n"
    assert "Transformed 1 files successfully" in result.stderr


@pytest.mark.slow  # a subprocess, end to end
def test_libcst_tool_passes_select_and_reports_what_is_left(tmp_path: Path) -> None:
    source = (FIXTURES / "bindings.py").read_text()
    source += (
        "\n\ndef more():\n    asyncio.create_task(job())\n\n\n"
        "class Model(metaclass=Registry):\n    asyncio.ensure_future(job())\n"
    )
    (tmp_path / "module.py").write_text(source)
    result = _libcst_tool(tmp_path, "--select", "TRK101", "module.py")
    assert result.returncode == 0, result.stderr
    fixed = (tmp_path / "module.py").read_text()
    assert "_task = asyncio.create_task(job())" in fixed
    assert "_background_tasks.add(task)" not in fixed  # TRK102 was not selected
    assert "TRK101 left: the class body may not be an ordinary namespace" in result.stderr
