"""The flake8 face: a thin shell around ``engine.analyze``.

The engine (and with it libcst, a quarter of a second to import) is imported only once a file
passes the text pre-filter, so flake8 runs over code without asyncio tasks pay almost nothing.
"""

from __future__ import annotations

import ast
import functools
import gc
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from lint_rules import __version__
from lint_rules.settings import OPTIONS, Settings, split_list
from lint_rules.triggers import may_matter

if TYPE_CHECKING:  # the engine imports libcst
    from lint_rules.engine import Finding


@functools.cache
def _load_engine() -> Callable[..., list[Finding]]:
    from lint_rules.engine import analyze  # imports libcst: only for files that can matter

    # libcst's classes and functions (some 17,000 objects) live until flake8 exits. Moved to
    # the permanent generation, they are not walked again by every later full collection
    # (which cost about 1% of flake8's time on Home Assistant: benchmarks/README.md).
    gc.freeze()
    return analyze


class Plugin:
    name = "flake8-task-tracking"
    version = __version__
    settings = Settings()

    def __init__(self, tree: ast.Module, lines: Sequence[str]) -> None:
        self.tree = tree
        self.lines = lines

    @classmethod
    def add_options(cls, option_manager: Any) -> None:
        for option in OPTIONS:
            default = ",".join(option.default) if option.is_list else option.default
            option_manager.add_option(
                option.flag,
                default=default,
                metavar=option.metavar,
                parse_from_config=True,
                help=f"{option.help} (flake8-task-tracking)",
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
        if not may_matter(source, self.settings):
            return
        for finding in _load_engine()(source, self.settings, tree=self.tree):
            yield finding.line, finding.col, f"{finding.code} {finding.message}", type(self)
