"""The engine's own traversal visits exactly the nodes libcst's would (minus whitespace and
punctuation), in the same source order, on the fixtures and on real standard-library code."""

from __future__ import annotations

import asyncio
import sysconfig
from pathlib import Path

import libcst as cst
import pytest

from lint_rules.engine.traversal import source_children, traverse

STDLIB = Path(sysconfig.get_paths()["stdlib"])
SAMPLES = [
    *sorted((Path(__file__).parent / "fixtures").glob("*.py")),
    *sorted(Path(asyncio.__file__).parent.glob("*.py")),
    STDLIB / "dataclasses.py",
    STDLIB / "typing.py",
    STDLIB / "argparse.py",
]


@pytest.mark.parametrize("path", SAMPLES, ids=lambda path: path.name)
def test_children_come_in_libcst_source_order(path: Path) -> None:
    module = cst.parse_module(path.read_text(encoding="utf-8"))
    stack: list[cst.CSTNode] = [module]
    while stack:
        node = stack.pop()
        ours = list(source_children(node))
        theirs = [child for child in node.children if any(child is o for o in ours)]
        assert [id(c) for c in ours] == [id(c) for c in theirs], type(node).__name__
        skipped = [c for c in node.children if not any(c is o for o in ours)]
        assert all(not list(c.children) or _only_trivia(c) for c in skipped), type(node).__name__
        stack.extend(ours)


def _only_trivia(node: cst.CSTNode) -> bool:
    """A skipped node may only hold whitespace, comments and punctuation."""
    return all(
        not isinstance(c, (cst.BaseExpression, cst.BaseStatement, cst.BaseSmallStatement))
        and _only_trivia(c)
        for c in node.children
    )


def test_visitor_callbacks_run_in_source_order_with_enter_and_leave() -> None:
    events: list[str] = []

    class Recorder(cst.BatchableCSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            events.append(f"visit {cst.Module([]).code_for_node(node.func)}")

        def leave_Call(self, original_node: cst.Call) -> None:
            events.append(f"leave {cst.Module([]).code_for_node(original_node.func)}")

    module = cst.parse_module("@deco(1)\ndef f(a=g()):\n    h(i())\n")
    depth = []
    traverse(module, [Recorder()], lambda node: depth.append(node), lambda node: depth.pop())
    assert events == [
        "visit deco",
        "leave deco",
        "visit g",
        "leave g",
        "visit h",
        "visit i",
        "leave i",
        "leave h",
    ]
    assert depth == []
