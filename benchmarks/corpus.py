"""The pinned benchmark corpus: real packages, downloaded once into ``benchmarks/.cache/``.

Each package is fetched with ``pip download --no-deps NAME==VERSION`` and only its Python
sources are unpacked, under ``.cache/corpus/NAME-VERSION/``. Running this again reuses what is
there. A pin that cannot be downloaded is reported loudly and replaced by the nearest version
the index has (the highest one below the pin, else the lowest one above), and the table says
so.

    python benchmarks/corpus.py            # prepare (if needed) and list the corpus
    python benchmarks/corpus.py --dense    # also list the trigger-dense files
    python benchmarks/corpus.py --judged   # the judged corpus (JUDGED_PINS) instead
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

CACHE = Path(__file__).resolve().parent / ".cache"
DOWNLOADS = CACHE / "downloads"
CORPUS = CACHE / "corpus"

# files that mention any of these are the "trigger-dense" subset
DENSE_PATTERN = re.compile(r"create_task|ensure_future|CustomLogger|asyncio\.run")


@dataclass(frozen=True)
class Pin:
    distribution: str  # the name pip downloads
    version: str
    package: str  # the import package inside the distribution: what gets linted


PINS: tuple[Pin, ...] = (
    Pin("litellm", "1.110.2", "litellm"),
    Pin("homeassistant", "2024.3.3", "homeassistant"),
    Pin("aiohttp", "3.14.5", "aiohttp"),
    Pin("discord.py", "2.7.1", "discord"),
    Pin("textual", "8.2.8", "textual"),
    Pin("prefect", "3.9.1", "prefect"),
)

# The judged real-code corpus (issue 12, benchmarks/judged/): async packages not used above,
# the sixteen candidates with the most task-creating calls (the number after each pin, counted
# with `ast` in the import package: create_task, ensure_future, run_coroutine_threadsafe,
# asyncio.Task, gather/shield not directly awaited), then the remaining candidates with at
# least one TRK finding. Every TRK finding on them is judged in a ledger.
JUDGED_PINS: tuple[Pin, ...] = (
    Pin("pyatv", "0.18.0", "pyatv"),  # 36
    Pin("disnake", "2.12.2", "disnake"),  # 33
    Pin("nextcord", "2.6.0", "nextcord"),  # 29
    Pin("aiortc", "1.16.0", "aiortc"),  # 29
    Pin("playwright", "1.65.2", "playwright"),  # 25
    Pin("hikari", "2.7.0", "hikari"),  # 25
    Pin("asyncpg", "0.32.0", "asyncpg"),  # 19
    Pin("kopf", "1.45.2", "kopf"),  # 18
    Pin("pyrogram", "2.0.106", "pyrogram"),  # 17
    Pin("nats-py", "2.16.0", "nats"),  # 15
    Pin("uvicorn", "0.54.0", "uvicorn"),  # 14
    Pin("python-telegram-bot", "22.8", "telegram"),  # 14
    Pin("quart", "0.22.0", "quart"),  # 13
    Pin("aiormq", "7.2.4", "aiormq"),  # 13
    Pin("slack-sdk", "3.48.0", "slack_sdk"),  # 12
    Pin("gmqtt", "0.8.0", "gmqtt"),  # 11
    # the remaining candidates with at least one TRK finding
    Pin("aiogram", "3.31.0", "aiogram"),  # 8
    Pin("arq", "0.28.0", "arq"),  # 7
    Pin("pymodbus", "3.16.1", "pymodbus"),  # 6
    Pin("openai", "3.57.0", "openai"),  # 6
    Pin("ipykernel", "7.4.0", "ipykernel"),  # 5
    Pin("slack-bolt", "1.30.0", "slack_bolt"),  # 2
    Pin("aiomysql", "0.3.2", "aiomysql"),  # 2
    Pin("anthropic", "2.15.0", "anthropic"),  # 1
)


@dataclass(frozen=True)
class Package:
    pin: Pin
    version: str  # the version actually unpacked (== pin.version unless it was unavailable)
    root: Path  # the import package directory

    @property
    def name(self) -> str:
        return self.pin.distribution

    @property
    def label(self) -> str:
        return f"{self.name} {self.version}"

    @property
    def substituted(self) -> bool:
        return self.version != self.pin.version

    @cached_property
    def files(self) -> list[Path]:
        return sorted(self.root.rglob("*.py"))

    @cached_property
    def dense_files(self) -> list[Path]:
        return trigger_dense(self.files)

    @cached_property
    def lines(self) -> int:
        return count_lines(self.files)

    @cached_property
    def dense_lines(self) -> int:
        return count_lines(self.dense_files)


def trigger_dense(files: Iterable[Path]) -> list[Path]:
    """The files mentioning create_task, ensure_future, CustomLogger or asyncio.run."""
    return [path for path in files if DENSE_PATTERN.search(read_text(path))]


def read_text(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


def count_lines(files: Iterable[Path]) -> int:
    return sum(path.read_bytes().count(b"\n") for path in files)


def _pip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", *args, "--disable-pip-version-check"],
        capture_output=True,
        text=True,
    )


def _download(distribution: str, version: str) -> Path | None:
    destination = DOWNLOADS / f"{distribution}-{version}"
    existing = [p for p in destination.glob("*") if p.suffix in (".whl", ".gz", ".zip")]
    if existing:
        return existing[0]
    destination.mkdir(parents=True, exist_ok=True)
    result = _pip("download", "--no-deps", "-d", str(destination), f"{distribution}=={version}")
    found = [p for p in destination.glob("*") if p.suffix in (".whl", ".gz", ".zip")]
    if result.returncode != 0 or not found:
        shutil.rmtree(destination, ignore_errors=True)
        return None
    return found[0]


def _available_versions(distribution: str) -> list[str]:
    result = _pip("index", "versions", distribution)
    match = re.search(r"Available versions:\s*(.+)", result.stdout)
    return [v.strip() for v in match.group(1).split(",")] if match else []


def _nearest(pinned: str, versions: Sequence[str]) -> str | None:
    try:
        from packaging.version import InvalidVersion, Version
    except ImportError:  # pip always vendors it
        from pip._vendor.packaging.version import InvalidVersion, Version  # type: ignore

    parsed = []
    for text in versions:
        try:
            parsed.append((Version(text), text))
        except InvalidVersion:
            continue
    target = Version(pinned)
    below = [item for item in parsed if item[0] <= target and not item[0].is_prerelease]
    above = [item for item in parsed if item[0] > target and not item[0].is_prerelease]
    if below:
        return max(below)[1]
    return min(above)[1] if above else None


def _unpack(archive: Path, package: str, destination: Path) -> Path:
    """Unpack only the ``.py`` files of ``archive``; return the import package directory."""
    staging = destination.with_name(destination.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    if archive.suffix in (".whl", ".zip"):
        with zipfile.ZipFile(archive) as bundle:
            bundle.extractall(staging, [n for n in bundle.namelist() if n.endswith(".py")])
    else:
        with tarfile.open(archive) as bundle:
            members = [m for m in bundle.getmembers() if m.isfile() and m.name.endswith(".py")]
            bundle.extractall(staging, members)
    candidates = sorted(
        (p.parent for p in staging.rglob(f"{package}/__init__.py")), key=lambda p: len(p.parts)
    )
    if not candidates:
        raise SystemExit(f"corpus: {archive.name} has no package {package!r}")
    shutil.rmtree(destination, ignore_errors=True)
    staging.rename(destination)
    return destination / candidates[0].relative_to(staging)


def prepare_one(pin: Pin) -> Package:
    for directory in sorted(CORPUS.glob(f"{pin.distribution}-*")):
        marker = directory / ".complete"
        if marker.is_file():
            pinned, version, relative = marker.read_text().split()
            if pinned == pin.version:
                return _as_project(Package(pin, version, directory / relative))
    version = pin.version
    archive = _download(pin.distribution, version)
    if archive is None:
        nearest = _nearest(pin.version, _available_versions(pin.distribution))
        print(
            f"\n!!! corpus: {pin.distribution}=={pin.version} cannot be downloaded; "
            f"using {nearest or 'nothing'} instead !!!\n",
            file=sys.stderr,
        )
        if nearest is None:
            raise SystemExit(f"corpus: no version of {pin.distribution} is available")
        version = nearest
        archive = _download(pin.distribution, version)
        if archive is None:
            raise SystemExit(f"corpus: {pin.distribution}=={version} cannot be downloaded")
    destination = CORPUS / f"{pin.distribution}-{version}"
    root = _unpack(archive, pin.package, destination)
    relative = root.relative_to(destination)
    (destination / ".complete").write_text(f"{pin.version} {version} {relative}\n")
    return _as_project(Package(pin, version, root))


def _as_project(package: Package) -> Package:
    """Mark the directory holding the import package as a project root (an empty
    pyproject.toml), as a checkout of it would be: the rules follow its own imports
    (``import litellm.x`` finds ``litellm/x.py``) as they do in the user's project."""
    marker = package.root.parent / "pyproject.toml"
    if not marker.exists():
        marker.write_text("# the project root of an unpacked wheel (benchmarks/corpus.py)\n")
    return package


def prepare(pins: Iterable[Pin] = PINS, names: Sequence[str] = ()) -> list[Package]:
    """Every pinned package (only those in ``names`` when given), downloaded if needed."""
    selected = [pin for pin in pins if not names or pin.distribution in names]
    unknown = set(names) - {pin.distribution for pin in selected}
    if unknown:
        raise SystemExit(f"corpus: unknown package(s): {', '.join(sorted(unknown))}")
    return [prepare_one(pin) for pin in selected]


def describe(packages: Sequence[Package]) -> str:
    rows = ["| package | pinned | files | lines | dense files | dense lines | path |"]
    rows.append("|---|---|---:|---:|---:|---:|---|")
    for package in packages:
        pinned = package.pin.version
        if package.substituted:
            pinned = f"**{pinned} unavailable**"
        rows.append(
            f"| {package.label} | {pinned} | {len(package.files)} | {package.lines} "
            f"| {len(package.dense_files)} | {package.dense_lines} "
            f"| {package.root.relative_to(CACHE.parent)} |"
        )
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("packages", nargs="*", help="distribution names (default: all pins)")
    parser.add_argument("--dense", action="store_true", help="list the trigger-dense files")
    parser.add_argument("--judged", action="store_true", help="the judged corpus (JUDGED_PINS)")
    args = parser.parse_args(argv)
    packages = prepare(JUDGED_PINS if args.judged else PINS, names=args.packages)
    print(describe(packages))
    if args.dense:
        for package in packages:
            print(f"\n{package.label}: {len(package.dense_files)} trigger-dense files")
            for path in package.dense_files:
                print(f"  {path.relative_to(package.root.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
