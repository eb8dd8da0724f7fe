"""`# noqa` under `lint-rules check` behaves exactly as under flake8: the same files through
the real flake8 executable and through the CLI give identical output."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import executable, run_executable

pytestmark = pytest.mark.slow  # compared with the real flake8, in subprocesses

SHAPES = '''\
import asyncio


async def shapes(job):
    asyncio.create_task(job())
    asyncio.create_task(job())  # noqa
    asyncio.create_task(job())  # NOQA
    asyncio.create_task(job())  #noqa
    asyncio.create_task(job())  # noqa: TRK101
    asyncio.create_task(job())  # noqa:TRK101
    asyncio.create_task(job())  # noqa: TRK102
    asyncio.create_task(job())  # noqa: E501,TRK101
    asyncio.create_task(job())  # noqa: E501 TRK101
    asyncio.create_task(job())  # noqa: TRK1
    asyncio.create_task(job())  # noqa: TRK
    asyncio.create_task(job())  # noqa: trk101
    asyncio.create_task(job())  # noqa - TRK101 is fine here
    asyncio.create_task(job())  # a comment mentioning noqa
    asyncio.create_task(job())  # type: ignore # noqa: TRK101
    asyncio.create_task(job())  # noqa : TRK101
    asyncio.create_task(job(
        1,
    ))  # noqa: TRK101
    asyncio.create_task(job("""
    """))  # noqa: TRK101
    task = asyncio.create_task(job())  # noqa: TRK101
    asyncio.gather(job())  # noqa: TRK102,TRK106
    asyncio.gather(job(), job())  # noqa:TRK101, TRK106
'''


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "shapes.py").write_text(SHAPES, encoding="utf-8")
    (tmp_path / "exempt.py").write_text(
        "import asyncio\n# flake8: noqa\n\n\nasync def f(job):\n    asyncio.create_task(job())\n",
        encoding="utf-8",
    )
    (tmp_path / "not_exempt.py").write_text(
        "import asyncio  # flake8: noqa\n\n\nasync def f(job):\n    asyncio.create_task(job())\n",
        encoding="utf-8",
    )
    return tmp_path


def flake8(project: Path, *flags: str) -> list[str]:
    run = run_executable(
        executable("flake8"), "--isolated", "--select=TRK", *flags, ".", cwd=project
    )
    assert run.status in (0, 1), run.err
    return sorted(line.removeprefix("./") for line in run.out.splitlines())


def check(project: Path, *flags: str) -> list[str]:
    run = run_executable(executable("lint-rules"), "check", *flags, ".", cwd=project)
    assert run.status in (0, 1), run.err
    return sorted(run.out.splitlines())


def test_noqa_silences_exactly_what_flake8_silences(project: Path) -> None:
    expected = flake8(project)
    assert check(project) == expected
    # the file is not trivially clean: noqa silenced some findings and left others
    unsilenced = flake8(project, "--disable-noqa")
    assert 0 < len(expected) < len(unsilenced)
    assert any(line.startswith("not_exempt.py:") for line in expected)
    assert not any(line.startswith("exempt.py:") for line in expected)


def test_disable_noqa_reports_everything_like_flake8(project: Path) -> None:
    assert check(project, "--disable-noqa") == flake8(project, "--disable-noqa")
