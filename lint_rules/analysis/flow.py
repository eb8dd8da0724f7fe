"""Walking a function's own code, and whether control leaves it: the predicates every rule
family and the codemod share."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from lint_rules.engine.traversal import source_children

# code inside these runs in another frame, at another time
NESTED_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


def own_nodes(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """``node`` and everything below it that runs in its frame: nested functions, lambdas
    and classes are not entered."""
    pending = [node]
    while pending:
        current = pending.pop()
        yield current
        pending.extend(
            child for child in source_children(current) if not isinstance(child, NESTED_SCOPES)
        )


def always_leaves(statement: cst.CSTNode, *, breaks: bool = False) -> bool:
    """``statement`` always returns or raises (with ``breaks``, a ``break`` of the loop it is
    in counts too). Conservative: False when unsure."""
    if isinstance(statement, (cst.Return, cst.Raise)):
        return True
    if breaks and isinstance(statement, cst.Break):
        return True
    if isinstance(statement, cst.SimpleStatementLine):
        return any(always_leaves(small, breaks=breaks) for small in statement.body)
    if isinstance(statement, (cst.With, cst.Else, cst.Finally)):
        return suite_always_leaves(statement.body, breaks=breaks)
    if isinstance(statement, cst.If):
        # every branch of the elif chain leaves (walked in a loop: the chain may be long)
        branch: cst.CSTNode | None = statement
        while isinstance(branch, cst.If):
            if not suite_always_leaves(branch.body, breaks=breaks):
                return False
            branch = branch.orelse
        return branch is not None and always_leaves(branch, breaks=breaks)
    if isinstance(statement, (cst.Try, cst.TryStar)):
        if statement.finalbody is not None and always_leaves(statement.finalbody, breaks=breaks):
            return True
        body = suite_always_leaves(statement.body, breaks=breaks) or (
            statement.orelse is not None and always_leaves(statement.orelse, breaks=breaks)
        )
        return body and all(
            suite_always_leaves(handler.body, breaks=breaks) for handler in statement.handlers
        )
    return False


def suite_always_leaves(suite: cst.BaseSuite, *, breaks: bool = False) -> bool:
    """Control never reaches the end of ``suite``: some statement of it always leaves."""
    return any(always_leaves(statement, breaks=breaks) for statement in suite.body)


def may_leave(node: cst.CSTNode, *, breaks: bool) -> bool:
    """A ``return`` or ``raise`` somewhere in ``node`` (with ``breaks``, a ``break`` of the
    loop ``node`` is the body of), in its own frame."""
    pending = [(node, breaks)]
    while pending:
        current, counts_break = pending.pop()
        if isinstance(current, (cst.Return, cst.Raise)):
            return True
        if counts_break and isinstance(current, cst.Break):
            return True
        if isinstance(current, NESTED_SCOPES):
            continue
        inner = counts_break and not isinstance(current, (cst.For, cst.While))
        pending.extend((child, inner) for child in source_children(current))
    return False
