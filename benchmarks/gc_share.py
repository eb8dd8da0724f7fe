"""How much of flake8's CPU goes to garbage collection, with the plugin and without.

    python3 benchmarks/gc_share.py                      # Home Assistant, 2,000 files, 3 rounds
    python3 benchmarks/gc_share.py litellm --files 1000 --rounds 5
    python3 benchmarks/gc_share.py litellm --dense --rounds 1   # where the plugin reads modules

libcst's classes stay on the heap once the plugin has imported it, and every full collection
flake8 runs afterwards walks them again; ``flake8_plugin`` freezes them out of the collector's
way. This script shows the effect side by side: flake8 ``--isolated -j1`` in ``run.py``'s two
venvs over an evenly spread sample of the package's files that are *not* trigger-dense (where
the plugin itself does almost nothing), interleaved, each process summing the CPU time of its
collections with ``gc.callbacks``. Shares of the same process's CPU are far steadier on a
shared machine than the run times themselves.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import corpus
import venvs
from run import Interleaver

# run inside each venv's Python: flake8's own main(), with every collection's CPU time summed
_FLAKE8_WITH_GC_CLOCK = """\
import atexit, gc, json, sys, time
spent = {"gc": 0.0, "collections": 0}
started = [0.0]
def clock(phase, info):
    if phase == "start":
        started[0] = time.process_time()
    else:
        spent["gc"] += time.process_time() - started[0]
        spent["collections"] += 1
gc.callbacks.append(clock)
atexit.register(lambda: print(json.dumps({**spent, "cpu": time.process_time()}), file=sys.stderr))
from flake8.main.cli import main
main(sys.argv[1:])
"""


def measure(venv: venvs.Venv, files: Sequence[Path]) -> dict[str, float]:
    # -P: not this checkout's directory on sys.path, or the baseline would load the plugin
    command = [venv.python, "-P", "-c", _FLAKE8_WITH_GC_CLOCK, "--isolated", "-j1"]
    result = subprocess.run([*command, *map(str, files)], capture_output=True, text=True)
    if "Traceback" in result.stderr:
        raise SystemExit(f"gc_share: flake8 failed in {venv.name}:\n{result.stderr}")
    return json.loads(result.stderr.strip().splitlines()[-1])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("package", nargs="?", default="homeassistant")
    parser.add_argument("--files", type=int, default=2000, help="sample size (default 2000)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved runs of each")
    parser.add_argument(
        "--dense", action="store_true", help="sample the trigger-dense files instead"
    )
    args = parser.parse_args(argv)

    venvs.ensure(with_async=False)
    (package,) = corpus.prepare(names=[args.package])
    dense = set(package.dense_files)
    rest = [path for path in package.files if (path in dense) == args.dense]
    sample = rest[:: max(1, len(rest) // args.files)][: args.files]
    variants = {"flake8": venvs.BASE, "flake8+TRK": venvs.TRK}
    # run.py's Interleaver: the order flips every round
    series = Interleaver().run(
        {name: functools.partial(measure, venv, sample) for name, venv in variants.items()},
        args.rounds,
    )
    runs = {name: part.samples for name, part in series.items()}

    which = "trigger-dense" if args.dense else "not dense"
    print(f"\n{package.label}: {len(sample)} of the {len(rest)} files that are {which}")
    print("| variant | CPU s | collection s | collection share | collections |")
    print("|---|---:|---:|---:|---:|")
    for name, samples in runs.items():
        cpu = statistics.median(s["cpu"] for s in samples)
        spent = statistics.median(s["gc"] for s in samples)
        share = statistics.median(s["gc"] / s["cpu"] for s in samples)
        collections = int(statistics.median(s["collections"] for s in samples))
        print(f"| {name} | {cpu:.2f} | {spent:.2f} | {share:.1%} | {collections} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
