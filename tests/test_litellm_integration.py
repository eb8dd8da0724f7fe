"""TRK201/TRK202 against the real thing: a short-lived script loses its background work under
``asyncio.run()``, ``lint-rules check`` reports it, ``lint-rules fix --drain`` rewrites a copy
of it, and in the rewritten script the work completes (and ``lint-rules check`` is clean).

The LiteLLM tests run LiteLLM 1.110.2 offline (``mock_response=``, local cost map) in a
subprocess, with a callback that is still running when ``main()`` returns: the shape of
LiteLLM issue #8842 that 1.110.2's exit-time flush does not rescue. They skip, saying why,
when that LiteLLM is not installed (``pip install -r tests/requirements-litellm.txt``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # LiteLLM scripts run for real

EXAMPLES = Path(__file__).parents[1] / "examples"
REQUIREMENTS = Path(__file__).parent / "requirements-litellm.txt"
PINNED = re.search(r"^litellm==(\S+)$", REQUIREMENTS.read_text(), re.MULTILINE).group(1)  # type: ignore[union-attr]


def _require_litellm() -> None:
    try:
        installed = metadata.version("litellm")
    except metadata.PackageNotFoundError:
        pytest.skip(f"litellm is not installed: pip install -r {REQUIREMENTS.name}")
    if installed != PINNED:
        pytest.skip(
            f"needs litellm=={PINNED} (the version these facts were measured on), found {installed}"
        )


def _run(script: Path) -> str:
    output = _output(script)
    assert "loop closed" in output, output
    return output


def _output(script: Path) -> str:
    """What ``script`` prints, run offline; it must succeed."""
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "PYTHONUNBUFFERED": "1"}
    result = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=script.parent,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def _check(script: Path) -> list[str]:
    """`lint-rules check` on the script, as a user runs it: its finding lines."""
    result = subprocess.run(
        [sys.executable, "-m", "lint_rules", "check", str(script)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode in (0, 1), result.stderr
    return [line for line in result.stdout.splitlines() if line.startswith(str(script))]


def _fix_drain(script: Path) -> Path:
    """``lint-rules fix --drain`` on a copy of ``script``: the copy, rewritten."""
    copy = script.with_name(f"{script.stem}_drained.py")
    shutil.copyfile(script, copy)
    command = [sys.executable, "-m", "lint_rules", "fix", "--drain", str(copy)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"fixed {copy} (1 finding)\n", result.stdout + result.stderr
    again = subprocess.run([*command, "--check"], capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stdout + again.stderr  # a second run changes nothing
    return copy


LITELLM_SCRIPT = textwrap.dedent(
    '''\
    """LiteLLM #8842: an async success callback still running when main() returns."""

    import asyncio

    import litellm
    from litellm import Router
    from litellm.integrations.custom_logger import CustomLogger


    class UsageLogger(CustomLogger):
        dispatch_mode = "fire_and_forget"

        async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
            print("callback started", flush=True)
            try:
                await asyncio.sleep(2)
            except asyncio.CancelledError:
                print("callback cancelled", flush=True)
                raise
            print("callback completed", flush=True)


    litellm.callbacks = [UsageLogger()]
    MESSAGES = [{"role": "user", "content": "hello"}]


    async def main():
        await litellm.acompletion(
            model="openai/gpt-4o-mini", api_key="sk-test", messages=MESSAGES, mock_response="hi"
        )
        router = Router(
            model_list=[
                {
                    "model_name": "gpt",
                    "litellm_params": {
                        "model": "openai/gpt-4o-mini",
                        "api_key": "sk-test",
                        "mock_response": "hi",
                    },
                }
            ]
        )
        await router.acompletion(model="gpt", messages=MESSAGES)
        await asyncio.sleep(0.05)  # both callbacks are running now
        print("main returns", flush=True)


    asyncio.run(main())
    print("loop closed", flush=True)
    '''
)

TRACKING_SET_SCRIPT = textwrap.dedent(
    '''\
    """A short-lived script that keeps its fire-and-forget task in a tracking set."""

    import asyncio

    _background_tasks = set()


    async def send_report():
        print("task started", flush=True)
        try:
            await asyncio.sleep(0.5)
        except asyncio.CancelledError:
            print("task cancelled", flush=True)
            raise
        print("task completed", flush=True)


    async def main():
        task = asyncio.create_task(send_report())
        _background_tasks.add(task)
        task.add_done_callback(_background_tasks.discard)
        await asyncio.sleep(0.05)  # the task is running now
        print("main returns", flush=True)


    asyncio.run(main())
    print("loop closed", flush=True)
    '''
)


def test_litellm_callback_is_cancelled_reported_and_completes_once_drained(
    tmp_path: Path,
) -> None:
    _require_litellm()
    script = tmp_path / "issue_8842.py"
    script.write_text(LITELLM_SCRIPT)

    output = _run(script)
    assert output.count("callback started") == 2, output
    assert output.count("callback cancelled") == 2, output
    assert "callback completed" not in output, output

    entry_line = LITELLM_SCRIPT.splitlines().index("asyncio.run(main())") + 1
    reported = _check(script)
    assert [line.split(": ")[1].split()[0] for line in reported] == ["TRK201"], reported
    assert reported[0].startswith(f"{script}:{entry_line}:1: TRK201"), reported
    registration_line = LITELLM_SCRIPT.splitlines().index("litellm.callbacks = [UsageLogger()]") + 1
    assert f"registered on line {registration_line}" in reported[0]
    assert "GLOBAL_LOGGING_WORKER.flush()" in reported[0]

    drained = _fix_drain(script)
    drained_text = drained.read_text()
    assert "asyncio.run(_drained(main()))" in drained_text, drained_text
    assert "await asyncio.wait_for(drain_logging_tasks(), timeout=5.0)" in drained_text
    assert "await asyncio.wait_for(GLOBAL_LOGGING_WORKER.flush(), timeout=5.0)" in drained_text
    assert _check(drained) == []
    output = _run(drained)
    assert output.count("callback completed") == 2, output
    assert "callback cancelled" not in output, output
    assert output.rindex("callback completed") < output.index("loop closed"), output


def test_tracked_task_is_cancelled_reported_and_completes_once_drained(tmp_path: Path) -> None:
    script = tmp_path / "tracked.py"
    script.write_text(TRACKING_SET_SCRIPT)

    output = _run(script)
    assert "task started" in output and "task cancelled" in output, output
    assert "task completed" not in output, output

    entry_line = TRACKING_SET_SCRIPT.splitlines().index("asyncio.run(main())") + 1
    reported = _check(script)
    assert len(reported) == 1 and reported[0].startswith(f"{script}:{entry_line}:1: TRK202"), (
        reported
    )
    assert "'_background_tasks'" in reported[0]

    drained = _fix_drain(script)
    assert _check(drained) == []
    output = _run(drained)
    assert "task completed" in output and "task cancelled" not in output, output
    assert output.index("task completed") < output.index("loop closed"), output


def test_the_example_loses_its_usage_record_and_the_fixed_example_writes_it() -> None:
    """examples/litellm_8842_fixed.py is the codemod's output (tests/test_fix_callbacks.py)."""
    _require_litellm()
    assert "recorded usage" not in _output(EXAMPLES / "litellm_8842.py")
    assert "recorded usage for gpt-4o-mini" in _output(EXAMPLES / "litellm_8842_fixed.py")


def test_a_callback_registered_in_another_module_is_reported_and_completes_once_drained(
    tmp_path: Path,
) -> None:
    """The #8842 script in two files: the callback class and its registration live in a
    module of the project, the script only imports it."""
    _require_litellm()
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "usage-app"\n')
    module, _, script_text = LITELLM_SCRIPT.partition("MESSAGES = ")
    (tmp_path / "usage.py").write_text(module.replace('"""LiteLLM #8842', '"""The callback'))
    script = tmp_path / "run.py"
    script.write_text(
        "import asyncio\n\nimport litellm\nfrom litellm import Router\n\nimport usage\n\n"
        "MESSAGES = " + script_text
    )

    output = _run(script)
    assert output.count("callback cancelled") == 2 and "callback completed" not in output, output

    reported = _check(script)
    registration = module.splitlines().index("litellm.callbacks = [UsageLogger()]") + 1
    assert len(reported) == 1 and " TRK201 " in reported[0], reported
    assert f"registered on line {registration} of usage.py" in reported[0], reported

    drained = _fix_drain(script)
    assert _check(drained) == []
    output = _run(drained)
    assert output.count("callback completed") == 2, output
    assert "callback cancelled" not in output, output
