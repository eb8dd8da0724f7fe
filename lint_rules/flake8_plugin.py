"""The flake8 face: a thin shell around ``lint_rules.rules.analyze``.

The engine (and with it libcst, slow to import) is imported only once a file
passes the rule families' text pre-filter, so flake8 runs over code without asyncio tasks pay
almost nothing.
"""

from __future__ import annotations

import argparse
import ast
import functools
import gc
import os
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from lint_rules import __version__
from lint_rules.engine.info import failure
from lint_rules.engine.source import DecodeError, decode_source
from lint_rules.rules import may_matter
from lint_rules.settings import OPTIONS, OptionSpec, Settings, identifier_problem, split_list

if TYPE_CHECKING:
    from lint_rules.engine.info import Finding


@functools.cache
def _load_engine() -> Callable[..., list[Finding]]:
    from lint_rules.engine import pipeline
    from lint_rules.rules import rule_classes

    families = rule_classes()  # imports libcst and the rules: only once a file can matter
    # libcst's classes and functions live until flake8 exits. Moved to the permanent
    # generation, they are not walked again by every later full collection
    # (benchmarks/README.md measures what that saves).
    gc.freeze()

    def analyze(source: str, settings: Settings, **options: Any) -> list[Finding]:
        # the pipeline itself: run() has made the text test of `rules.analyze` already
        return pipeline.analyze(source, families, settings, **options)

    return analyze


class Plugin:
    name = "flake8-task-tracking"
    version = __version__
    settings = Settings()

    def __init__(self, tree: ast.Module, lines: Sequence[str], filename: str = "stdin") -> None:
        self.tree = tree
        self.lines = lines
        # flake8 names standard input "stdin" (or --stdin-display-name): no project file
        self.path = filename if os.path.isfile(filename) else None

    @classmethod
    def add_options(cls, option_manager: Any) -> None:
        for option in OPTIONS:
            default = ",".join(option.default) if option.is_list else option.default
            # argparse also runs `type` on the values of flake8's config files
            checked = {} if option.is_list else {"type": functools.partial(_identifier, option)}
            option_manager.add_option(
                option.flag,
                default=default,
                metavar=option.metavar,
                parse_from_config=True,
                help=f"{option.help} (flake8-task-tracking)",
                **checked,
            )

    @classmethod
    def parse_options(cls, options: Any) -> None:
        values = {}
        for option in OPTIONS:
            value = getattr(options, option.key.replace("-", "_"))
            values[option.field] = split_list(value) if option.is_list else value
        cls.settings = Settings(**values)

    def run(self) -> Iterator[tuple[int, int, str, type[Plugin]]]:
        source = "".join(self.lines)
        undecodable = self._undecodable(source)
        if undecodable is not None:
            yield (
                undecodable.line,
                undecodable.col,
                f"{undecodable.code} {undecodable.message}",
                type(self),
            )
            return
        if not may_matter(source, self.settings, self.path):
            return
        for finding in _load_engine()(source, self.settings, tree=self.tree, path=self.path):
            yield finding.line, finding.col, f"{finding.code} {finding.message}", type(self)

    def _undecodable(self, source: str) -> Finding | None:
        """TRK000 for a file Python cannot decode, as ``lint-rules check`` reports it: flake8
        reads such a file as Latin-1 and goes on. Only a file with a coding comment or with
        non-ASCII text can be one, so others are not read again."""
        if self.path is None or (
            source.isascii() and not any("coding" in line for line in self.lines[:2])
        ):
            return None
        try:
            with open(self.path, "rb") as file:
                decode_source(file.read())
        except OSError:  # flake8 read it a moment ago; what it read is what we check
            return None
        except DecodeError as bad:
            return failure(bad.line, bad.column, f"cannot decode it: {bad.reason}")
        return None


def _identifier(option: OptionSpec, value: str) -> str:
    """A bad value stops flake8 with the reason ``lint-rules`` gives (argparse adds the flag)."""
    problem = identifier_problem(option, value)
    if problem is not None:
        raise argparse.ArgumentTypeError(problem)
    return value
