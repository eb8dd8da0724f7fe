"""TRK201/TRK202 rewrite (``lint-rules fix --drain``): the entry point awaits the entry
coroutine through a module-level wrapper that then drains, with a bounded wait::

    asyncio.run(main())  ->  asyncio.run(_drained(main()))

``_drained`` (``lint_rules.fix.helpers.drainer``) awaits ``main()``; once it has returned it
waits up to the drain timeout (``--drain-timeout``, 5 seconds by default, written in the
inserted code) for the tasks left in each tracking set, then for each library drain; what
still runs after that is cancelled by ``asyncio.run`` as before. The drain thus runs where the
loop really ends, outside every ``async with`` of the coroutine (a lock it holds, a
``timeout()`` around a ``return``), and an endless task cannot keep the script from ending.
An exception from the coroutine propagates without waiting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import libcst as cst

from lint_rules.fix import exits, helpers
from lint_rules.fix.context import DRAINER, FixContext
from lint_rules.fix.edits import Edit, Fix, RewriteNode, Unfixable

DEFAULT_TIMEOUT = 5.0  # seconds per wait, as LiteLLM's own drain_logging_tasks(timeout=5.0)
ParentOf = Callable[[cst.CSTNode], cst.CSTNode]


@dataclass(frozen=True)
class Drain(Fix):
    """Drain ``sets`` (tracking set names; TRK202) and await ``awaits`` (``(module, path)``
    pairs: ``from module import HEAD`` then ``HEAD.rest()``; TRK201) after the entry
    coroutine ``coroutine`` that ``argument`` (``main()``) runs, in ``statement``, the
    statement of the entry point. The findings on one entry point share its edit; the
    tracking sets come first (their tasks may still fire library callbacks)."""

    requires = "drain"
    statement: cst.CSTNode
    argument: cst.BaseExpression
    coroutine: cst.FunctionDef
    sets: tuple[str, ...] = ()
    awaits: tuple[tuple[str, str], ...] = ()

    def edit(self, context: FixContext) -> Edit:
        if exits.is_generator(self.coroutine):
            raise Unfixable("the entry coroutine is a generator")
        if not exits.exit_count(self.coroutine):
            raise Unfixable("the entry coroutine never returns")
        for module, path in self.awaits:
            if not module:
                raise Unfixable(f"the drain {path}() names no module to import it from")
        drains = []
        for module, path in self.awaits:
            head, dot, rest = path.partition(".")
            drains.append(f"{context.import_name(module, head)}{dot}{rest}()")
        # the entry points of one coroutine share one wrapper; each gets its own edit
        wrapper = context.shared(("drainer", self.coroutine), lambda: _drainer(context))
        for known, new in ((wrapper.gathers, self.sets), (wrapper.drains, drains)):
            known.extend(code for code in new if code not in known)
        argument = self.argument

        def rewrite(node: cst.CSTNode) -> cst.CSTNode:
            return node.visit(_Wrap(argument, wrapper.name))

        return context.shared(
            ("drain", self.statement), lambda: RewriteNode(self.statement, rewrite)
        )


@dataclass
class _Drainer:
    """The wrapper of an entry coroutine, and what it waits for."""

    name: str
    gathers: list[str] = field(default_factory=list)  # tracking sets
    drains: list[str] = field(default_factory=list)  # library drain calls


def _drainer(context: FixContext) -> _Drainer:
    """A new wrapper, defined after the module's header once every finding added to it."""
    drainer = _Drainer(context.module_name(DRAINER))
    names = helpers.Names(
        context.import_name("asyncio"), context.import_name("typing", "Any"), "set"
    )
    awaitable = context.import_name("typing", "Awaitable")
    timeout = float(context.options.get("drain_timeout") or DEFAULT_TIMEOUT)
    context.define(
        lambda: helpers.drainer(
            drainer.name, names, awaitable, drainer.gathers, drainer.drains, timeout
        )
    )
    return drainer


class _Wrap(cst.CSTTransformer):
    """``argument`` becomes ``wrapper(argument)``."""

    def __init__(self, argument: cst.BaseExpression, wrapper: str) -> None:
        super().__init__()
        self.argument = argument
        self.wrapper = wrapper

    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode) -> cst.CSTNode:
        if original_node is self.argument:
            assert isinstance(updated_node, cst.BaseExpression)
            return cst.Call(cst.Name(self.wrapper), [cst.Arg(updated_node)])
        return updated_node  # type: ignore[return-value]


def drain_fix(
    call: cst.Call,
    argument: cst.BaseExpression,
    coroutine: cst.FunctionDef,
    parent: ParentOf,
    *,
    sets: tuple[str, ...] = (),
    awaits: tuple[tuple[str, str], ...] = (),
) -> Drain | None:
    """The drain of the entry point ``call`` (``asyncio.run(argument)``...), or None where
    it is not in a statement's expression the fix can rewrite."""
    node: cst.CSTNode = call
    while True:
        node = parent(node)
        if isinstance(node, (cst.FunctionDef, cst.ClassDef, cst.Decorator, cst.Param)):
            return None
        if isinstance(node, (cst.BaseSmallStatement, cst.BaseCompoundStatement)):
            return Drain(node, argument, coroutine, sets, awaits)
