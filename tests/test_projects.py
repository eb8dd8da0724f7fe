"""Fixture projects: small package trees under tests/fixtures/projects/, each with the
project marker that makes it a project, whose files state their expected findings in
comments (as tests/fixtures/*.py do). Every file of a project is analysed as a file of it, so
that the rules follow its imports into the project's other modules; the span analysis must
agree with a full parse, and ``lint-rules check`` and flake8 over the tree must report exactly
the expected findings, the same for both."""

from __future__ import annotations

import gc
import subprocess
import sys
import weakref
from pathlib import Path

import pytest

from lint_rules.engine.project import MODULES
from lint_rules.rules import analyze
from tests.expectations import expected_findings, fixture_settings

PROJECTS = Path(__file__).parent / "fixtures" / "projects"
FILES = sorted(PROJECTS.rglob("*.py"))


def expectations(project: Path) -> list[tuple[str, int, str]]:
    return sorted(
        (path.relative_to(project).as_posix(), line, code)
        for path in project.rglob("*.py")
        for line, code, _ in expected_findings(path.read_text(encoding="utf-8"))
    )


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(PROJECTS).as_posix())
def test_each_file_gets_exactly_its_expected_findings(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    settings = fixture_settings(source)
    findings = analyze(source, settings, path=str(path))
    assert [(f.line, f.code) for f in findings] == [
        (line, code) for line, code, _ in expected_findings(source)
    ], "\n".join(f"{f.line}:{f.col + 1} {f.code} {f.message}" for f in findings)
    assert findings == analyze(source, settings, path=str(path), full=True)


def test_every_project_expects_something() -> None:
    projects = sorted(p for p in PROJECTS.iterdir() if p.is_dir())
    assert projects and all(expectations(project) for project in projects)


def _reported(output: str, project: Path) -> list[tuple[str, int, str]]:
    found = []
    for line in output.splitlines():
        path, number, _, rest = line.split(":", 3)
        found.append(
            (
                (project / path).resolve().relative_to(project).as_posix(),
                int(number),
                rest.split()[0],
            )
        )
    return sorted(found)


@pytest.mark.slow  # the real lint-rules and flake8, in subprocesses
@pytest.mark.parametrize(
    "project", sorted(p for p in PROJECTS.iterdir() if p.is_dir()), ids=lambda p: p.name
)
def test_check_and_flake8_report_the_same_expected_findings(project: Path) -> None:
    check = subprocess.run(
        [sys.executable, "-m", "lint_rules", "check", "--isolated", "."],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    flake8 = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", "--select=TRK", "."],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 1 and flake8.returncode == 1, check.stderr + flake8.stderr
    assert _reported(check.stdout, project) == expectations(project)
    # a file Python cannot parse is flake8's own E999, which --select=TRK leaves out
    expected = [item for item in expectations(project) if item[2] != "TRK000"]
    assert _reported(flake8.stdout, project) == expected


def test_a_dense_import_graph_is_walked_once_per_question(tmp_path: Path) -> None:
    """Every module of a package imports every other (as LiteLLM's modules import
    ``litellm``), and only the last registers a callback: the question "does importing the
    first register one?" visits each module once, not once per path through the cycles."""
    from lint_rules.rules.callbacks import imports

    size = 12
    (tmp_path / "pyproject.toml").write_text("")
    package = tmp_path / "dense"
    package.mkdir()
    everyone = "from . import " + ", ".join(f"m{n}" for n in range(size)) + "\n"
    for n in range(size):
        (package / f"m{n}.py").write_text(f"import litellm\n{everyone}")
    (package / f"m{size - 1}.py").write_text(
        "import litellm\nfrom litellm.integrations.custom_logger import CustomLogger\n"
        + everyone
        + "class Billing(CustomLogger):\n"
        + "    async def async_log_success_event(self, *args):\n        pass\n"
        + "litellm.callbacks.append(Billing())\n"
    )
    script = tmp_path / "run.py"
    source = "import asyncio\nimport litellm\nfrom dense import m0\n\n\nasync def main():\n"
    source += "    await litellm.acompletion(model='m', messages=[])\n\n\nasyncio.run(main())\n"
    script.write_text(source)
    visits: list[object] = []
    steps = imports.ProjectCallbacks._steps

    def counted(self: imports.ProjectCallbacks, node: imports.Node) -> object:
        visits.append(node)
        return steps(self, node)

    imports._PROJECTS.clear()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(imports.ProjectCallbacks, "_steps", counted)
            findings = analyze(source, path=str(script))
    finally:
        imports._PROJECTS.clear()
    assert [(f.line, f.code) for f in findings] == [(10, "TRK201")]
    assert "m11.py" in findings[0].message
    assert len(visits) == len(set(visits)) <= size + 1, visits


def test_only_modules_whose_text_can_answer_are_parsed(tmp_path: Path) -> None:
    """A module that names LiteLLM's registries without registering, one whose text names
    no task API, and one that defines no plain ``def`` of the name imported from it (a task
    factory is one) are never parsed; a registration written over several lines still
    is, and is found."""
    from lint_rules.engine.project import MODULES
    from lint_rules.rules.callbacks import imports

    (tmp_path / "pyproject.toml").write_text("")
    package = tmp_path / "app"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text(
        "import litellm\n\n\ndef current(kwargs):\n"
        '    return kwargs.get("callbacks") or litellm.callbacks\n'
    )
    (package / "labels.py").write_text("def label(value):\n    return str(value)\n")
    (package / "jobs.py").write_text(  # a task API, but no plain `def refresh`
        "import asyncio\n\n\nasync def refresh():\n"
        "    await asyncio.create_task(asyncio.sleep(0))\n"
    )
    (package / "billing.py").write_text(
        "import litellm\nfrom litellm.integrations.custom_logger import CustomLogger\n\n\n"
        "class Billing(CustomLogger):\n"
        "    async def async_log_success_event(self, *args):\n        pass\n\n\n"
        'setattr(\n    litellm,\n    "callbacks",\n    [Billing()],\n)\n'
    )
    script = tmp_path / "run.py"
    source = (
        "import asyncio\n\nimport litellm\n\nfrom app import settings\n"
        "from app.labels import label\nfrom app.jobs import refresh\nfrom app import billing\n\n\n"
        "async def main():\n    label(settings)\n"
        "    await asyncio.create_task(asyncio.sleep(0))\n"
        "    await litellm.acompletion(model='m', messages=[])\n\n\nasyncio.run(main())\n"
    )
    script.write_text(source)
    parsed: list[str] = []
    load = type(MODULES).load

    def recorded(self: object, path: str, src: object) -> object:
        parsed.append(Path(path).name)
        return load(self, path, src)  # type: ignore[arg-type]

    imports._PROJECTS.clear()
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(type(MODULES), "load", recorded)
            findings = analyze(source, path=str(script))
    finally:
        imports._PROJECTS.clear()
    assert [(f.line, f.code) for f in findings] == [(17, "TRK201")]
    assert "billing.py" in findings[0].message
    assert "billing.py" in parsed
    assert not {"settings.py", "labels.py", "jobs.py"} & set(parsed), parsed


def test_a_module_read_is_frozen_out_of_the_collector_and_garbage_is_not(tmp_path: Path) -> None:
    """A tree kept in the cache is moved to the permanent generation (later full collections
    do not walk it again), but cyclic garbage made before the read is collected first: frozen,
    it would never be freed."""
    (tmp_path / "pyproject.toml").write_text("")
    module = tmp_path / "helpers.py"
    module.write_text("".join(f"def helper_{n}(x):\n    return [x, {n}]\n" for n in range(200)))

    class Cyclic:
        pass

    garbage = Cyclic()
    garbage.me = garbage  # type: ignore[attr-defined]
    alive = weakref.ref(garbage)
    del garbage
    gc.disable()  # only the read may collect it
    try:
        frozen = gc.get_freeze_count()
        index = MODULES.load(str(module), (".",))
        assert index is not None
        assert alive() is None
        # the tree alone is several nodes a function
        assert gc.get_freeze_count() - frozen >= 200 * 5
    finally:
        gc.enable()


def test_a_module_is_parsed_for_an_imported_name_only_if_its_def_may_make_a_task(
    tmp_path: Path,
) -> None:
    """``_may_be_factories`` reads from the text which defs may be task factories (those that
    name a task API, and those that name one of them); the module is parsed only for those,
    and the summaries' factories are always among them."""
    from lint_rules.rules.tasks.imports import _is_factory, _may_be_factories, module_factories
    from lint_rules.settings import Settings

    (tmp_path / "pyproject.toml").write_text("")
    helpers = tmp_path / "helpers.py"
    helpers.write_text(
        "import asyncio\n\n\n"
        "def spawn(coro):\n    return asyncio.get_running_loop().create_task(coro)\n\n\n"
        "@staticmethod\ndef go(coro):\n    return spawn(coro)\n\n\n"
        "def label(task):\n    '''\ndef create_task(): a line in column 0 of a string\n'''\n"
        "    return str(task)\n\n\n"
        "class Jobs:\n    def run(self, coro):\n        return go(coro)\n\n"
        "    def close(self):\n        pass\n"
    )
    settings = Settings()
    may = _may_be_factories(str(helpers), settings)
    assert {"spawn", "go", "run"} <= may
    assert "close" not in may and "label" not in may
    reads = MODULES.reads
    assert not _is_factory(str(helpers), "close", settings, 0)
    assert MODULES.reads == reads  # not parsed: `close` names no task API
    assert _is_factory(str(helpers), "go", settings, 0)
    assert MODULES.reads == reads + 1
    assert module_factories(str(helpers), settings) == {"spawn", "go", "run"}
