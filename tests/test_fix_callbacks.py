"""The opt-in rewrites of the callback rules: ``--declare-dispatch-mode`` (TRK301) and
``--drain`` (TRK201/TRK202). The golden files are in tests/fixtures/fix (``dispatch_*``,
``drain_*``); this module covers the options' plumbing and what golden files cannot show:
that a drained coroutine still returns what it returned, and how drains are imported."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import libcst as cst
import pytest

from lint_rules.engine.info import Finding
from lint_rules.fix.apply import apply_fixes
from lint_rules.rules import analyze, analyze_module
from lint_rules.rules.dispatch.fixes import DeclareDispatchMode
from lint_rules.settings import Settings
from tests.test_fix_fixtures import FIXTURES, OPTIONS_LINE, golden, text_of

DRAIN = {"drain": True}


def fix(source: str, options: dict[str, Any], settings: Settings = Settings()) -> str:
    module = cst.parse_module(textwrap.dedent(source))
    findings = analyze_module(module, settings)
    return apply_fixes(module, findings, settings, options).module.code


def left(source: str, options: dict[str, Any], settings: Settings = Settings()) -> list[str]:
    module = cst.parse_module(textwrap.dedent(source))
    outcome = apply_fixes(module, analyze_module(module, settings), settings, options)
    return [f"{item.finding.code} {item.reason}" for item in outcome.left]


def codes(source: str, settings: Settings = Settings()) -> list[str]:
    return [finding.code for finding in analyze(source, settings, full=True)]


# -- the options -------------------------------------------------------------------------------


def lint_rules(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "lint_rules", *arguments]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)


def libcst_tool(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "libcst.tool", "codemod", "-x"]
    command += ["lint_rules.codemod.TrackTasks", "--no-format", "--hide-progress", "-j", "1"]
    return subprocess.run(command + list(arguments), cwd=cwd, capture_output=True, text=True)


@pytest.mark.slow  # a subprocess, end to end
@pytest.mark.parametrize("run", [lint_rules, libcst_tool], ids=["lint-rules", "libcst.tool"])
@pytest.mark.parametrize("value", ["async", "Blocking", ""])
def test_an_unknown_dispatch_mode_is_a_usage_error_naming_the_modes(
    run: Any, value: str, tmp_path: Path
) -> None:
    shutil.copyfile(FIXTURES / "dispatch_fire_and_forget.py", tmp_path / "module.py")
    command = ["fix"] if run is lint_rules else []
    result = run(*command, f"--declare-dispatch-mode={value}", "module.py", cwd=tmp_path)
    assert result.returncode == 2
    assert "'blocking', 'fire_and_forget'" in result.stderr.splitlines()[-1]
    assert "Traceback" not in result.stderr
    module = (tmp_path / "module.py").read_bytes()
    assert module == (FIXTURES / "dispatch_fire_and_forget.py").read_bytes()


@pytest.mark.slow  # a subprocess, end to end
@pytest.mark.parametrize("case", ["dispatch_declarations", "drain_litellm", "drain_cascade"])
def test_libcst_tool_takes_the_options(case: str, tmp_path: Path) -> None:
    source = FIXTURES / f"{case}.py"
    shutil.copyfile(source, tmp_path / "module.py")
    found = OPTIONS_LINE.search(text_of(source))
    assert found is not None
    result = libcst_tool(*found.group(1).split(), ".", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "module.py").read_bytes() == golden(source).read_bytes()


@pytest.mark.slow  # a subprocess, end to end
def test_libcst_tool_without_the_options_warns_what_they_would_fix(tmp_path: Path) -> None:
    shutil.copyfile(FIXTURES / "drain_litellm.py", tmp_path / "module.py")
    shutil.copyfile(FIXTURES / "dispatch_fire_and_forget.py", tmp_path / "classes.py")
    result = libcst_tool(".", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "TRK201 left: needs fix --drain" in result.stderr
    assert "TRK202 left: needs fix --drain" in result.stderr
    assert "TRK301 left: needs fix --declare-dispatch-mode" in result.stderr
    assert (tmp_path / "module.py").read_bytes() == (FIXTURES / "drain_litellm.py").read_bytes()


@pytest.mark.slow  # a subprocess, end to end
def test_fix_help_lists_the_options(tmp_path: Path) -> None:
    result = lint_rules("fix", "--help", cwd=tmp_path)
    assert "--declare-dispatch-mode {blocking,fire_and_forget}" in result.stdout
    assert "--drain" in result.stdout


# -- declaring the dispatch mode ----------------------------------------------------------------


@pytest.mark.parametrize("body", ["pass", "...", "pass  # placeholder"])
def test_a_one_line_class_body_becomes_a_block(body: str) -> None:
    """TRK301 never reports such a class (it has no hook of its own), but the fix may be
    given one: it must still produce a valid class."""
    module = cst.parse_module(f"class Hook(CustomLogger): {body}\n")
    hook = module.body[0]
    assert isinstance(hook, cst.ClassDef)
    finding = Finding(1, 6, "TRK301", "", DeclareDispatchMode(hook, "mode"))
    options = {"declare_dispatch_mode": "fire_and_forget"}
    fixed = apply_fixes(module, [finding], options=options).module.code
    assert fixed == f'class Hook(CustomLogger):\n    mode = "fire_and_forget"\n    {body}\n'


def test_a_class_defining_the_attribute_as_a_method_is_left() -> None:
    source = """\
        from litellm.integrations.custom_logger import CustomLogger

        class Hook(CustomLogger):
            def dispatch_mode(self):
                return "blocking"

            async def async_log_success_event(self, kwargs, response, start, end):
                ...
        """
    options = {"declare_dispatch_mode": "blocking"}
    assert left(source, options) == ["TRK301 the class defines dispatch_mode itself"]


def test_the_configured_attribute_name_is_declared() -> None:
    settings = Settings(dispatch_attribute="delivery")
    source = """\
        from litellm.integrations.custom_logger import CustomLogger

        class Hook(CustomLogger):
            async def async_log_success_event(self, kwargs, response, start, end):
                ...
        """
    fixed = fix(source, {"declare_dispatch_mode": "blocking"}, settings)
    assert '    delivery = "blocking"\n\n    async def' in fixed
    assert codes(fixed, settings) == []


# -- draining: what the coroutine returns does not change --------------------------------------

RETURNS = """\
    import asyncio

    _background_tasks = set()
    finished = []
    counter = 0


    async def record(label):
        global counter
        await asyncio.sleep(0.01)
        counter += 1
        finished.append(label)


    def start(label):
        task = asyncio.create_task(record(label))
        _background_tasks.add(task)
        task.add_done_callback(_background_tasks.discard)


    async def main(kind):
        start(kind)
        if kind == "bare": return
        if kind == "literal":
            return -1
        if kind == "counter":
            return counter  # read before the drain: the tasks increment it
        try:
            if kind == "raises":
                raise ValueError(kind)
            return [kind, await asyncio.sleep(0, result="slept")]
        finally:
            start("finally")


    if __name__ == "__main__":
        result = asyncio.run(main(kind))
    """


def _run_main(source: str, kind: str) -> tuple[Any, list[str]]:
    """What the entry point returns (or raises) and which tasks finished."""
    namespace: dict[str, Any] = {"__name__": "__main__", "kind": kind}
    try:
        exec(compile(source, "drained.py", "exec"), namespace)
    except ValueError as error:
        namespace["result"] = f"raised {error}"
    return namespace["result"], namespace["finished"]


@pytest.mark.parametrize("kind", ["bare", "literal", "counter", "value", "raises"])
def test_a_drained_coroutine_returns_what_it_returned(kind: str) -> None:
    source = textwrap.dedent(RETURNS)
    assert codes(source) == ["TRK202"]
    fixed = fix(source, DRAIN)
    assert codes(fixed) == []

    before, finished_before = _run_main(source, kind)
    after, finished_after = _run_main(fixed, kind)
    assert after == before
    assert finished_before == []  # asyncio.run() cancelled the task
    if kind == "raises":  # exceptions leave without the drain
        assert finished_after == []
    else:
        assert kind in finished_after


# -- draining: imports ------------------------------------------------------------------------


TRACKED = """\
    _background_tasks = set()


    async def main():
        task = asyncio.ensure_future(work())
        _background_tasks.add(task)
        task.add_done_callback(_background_tasks.discard)


    run(main())
    """


@pytest.mark.parametrize(
    ("imports", "expected_import", "gather"),
    [
        ("import asyncio as aio\nfrom asyncio import run\nasyncio = aio\n", None, "aio"),
        (
            "from asyncio import ensure_future, run\nasyncio = None\n",
            "import asyncio as asyncio_1",
            "asyncio_1",
        ),
        (
            "from asyncio import run\ndef setup():\n    import asyncio\n",
            "import asyncio",
            "asyncio",
        ),
        ("import asyncio.subprocess\nfrom asyncio import run\n", None, "asyncio"),
    ],
    ids=["aliased", "name-taken", "imported-in-a-function", "submodule"],
)
def test_asyncio_is_reached_through_a_name_that_means_it(
    imports: str, expected_import: str | None, gather: str
) -> None:
    source = imports + "\n\n" + textwrap.dedent(TRACKED)
    fixed = fix(source, DRAIN)
    assert f"        await {gather}.wait({{*_background_tasks}}, timeout=5.0)\n" in fixed
    assert fixed.endswith("run(_drained(main()))\n")
    new_lines = set(fixed.splitlines()) - set(source.splitlines())
    added = [line for line in new_lines if line.startswith(("import ", "from "))]
    typing = "from typing import Any, Awaitable"
    assert sorted(added) == sorted([typing, *([expected_import] if expected_import else [])])
    assert "TRK202" not in codes(fixed)
    assert fix(fixed, DRAIN) == fixed


CONFIGURED = """\
    import asyncio

    import hooks


    async def on_event(event):
        ...


    hooks.listeners.append(on_event)


    async def main():
        await hooks.emit("start")


    asyncio.run(main())
    """


def test_configured_drains_are_imported_and_awaited() -> None:
    settings = Settings(
        callback_registries=("hooks.listeners",),
        drain_calls=("hooks.dispatch:DISPATCHER.flush", "hooks.drain"),
    )
    source = textwrap.dedent(CONFIGURED)
    assert codes(source, settings) == ["TRK201"]
    fixed = fix(source, DRAIN, settings)
    assert "from hooks.dispatch import DISPATCHER\n" in fixed
    assert "from hooks import drain\n" in fixed
    assert (
        "    try:\n"
        "        await asyncio.wait_for(DISPATCHER.flush(), timeout=5.0)\n"
        "    except asyncio.TimeoutError:\n"
        "        pass\n"
        "    try:\n"
        "        await asyncio.wait_for(drain(), timeout=5.0)\n"
    ) in fixed
    assert fixed.endswith("asyncio.run(_drained(main()))\n")
    assert codes(fixed, settings) == []


def test_a_drain_without_a_module_is_left() -> None:
    settings = Settings(callback_registries=("hooks.listeners",), drain_calls=("drain_all",))
    assert left(CONFIGURED, DRAIN, settings) == [
        "TRK201 the drain drain_all() names no module to import it from"
    ]


def test_every_entry_point_of_one_coroutine_shares_one_drain() -> None:
    source = """\
        import asyncio

        _background_tasks = set()


        async def main():
            task = asyncio.ensure_future(work())
            _background_tasks.add(task)
            task.add_done_callback(_background_tasks.discard)


        def cli():
            loop = asyncio.new_event_loop()
            loop.run_until_complete(main())
            loop.close()


        with asyncio.Runner() as runner:
            runner.run(main())
        """
    assert codes(textwrap.dedent(source)) == ["TRK202", "TRK202"]
    fixed = fix(source, DRAIN)
    assert fixed.count("await asyncio.wait(") == 1
    assert "loop.run_until_complete(_drained(main()))" in fixed
    assert "runner.run(_drained(main()))" in fixed
    assert codes(fixed) == []


# -- the bundled example ------------------------------------------------------------------------


def test_the_fixed_example_is_what_the_codemod_makes_of_the_example(tmp_path: Path) -> None:
    examples = Path(__file__).parents[1] / "examples"
    shutil.copyfile(examples / "litellm_8842.py", tmp_path / "litellm_8842.py")
    options = ["--declare-dispatch-mode=fire_and_forget", "--drain"]
    result = lint_rules("fix", *options, "litellm_8842.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "fixed litellm_8842.py (2 findings)\n"
    fixed = (tmp_path / "litellm_8842.py").read_bytes()
    assert fixed == (examples / "litellm_8842_fixed.py").read_bytes()
    assert " ".join(options) in (examples / "litellm_8842.py").read_text()


def test_a_coroutine_with_a_local_of_the_set_name_is_left() -> None:
    source = """\
        import asyncio

        _background_tasks = set()


        def spawn():
            task = asyncio.ensure_future(work())
            _background_tasks.add(task)
            task.add_done_callback(_background_tasks.discard)


        async def main(_background_tasks=()):
            spawn()


        asyncio.run(main())
        """
    assert codes(textwrap.dedent(source)) == ["TRK202"]
    assert left(source, DRAIN) == ["TRK202 no safe rewrite for this shape"]
