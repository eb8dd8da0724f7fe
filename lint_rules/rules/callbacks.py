"""TRK2xx: short-lived event loops that close before background callbacks finish.

``asyncio.run(main())`` cancels every task still pending when ``main()`` returns. Libraries
such as LiteLLM run async callbacks (``CustomLogger.async_log_success_event``) as background
tasks, and code that tracks its own tasks in a module-level set has the same problem: in a
short-lived script the work is cancelled silently. This family finds

* TRK201: an async callback registered with a callback registry (LiteLLM's lists, its
  callback manager, per-call ``callbacks=``; more with ``--trk-callback-registries``) and a
  short-lived entry point whose coroutine never awaits a drain (``--trk-drain-calls``);
* TRK202: a module-level tracking set that receives tasks and a short-lived entry point
  whose coroutine never awaits the set.

A *short-lived entry point* is ``asyncio.run(c())``, ``asyncio.Runner().run(c())`` (or a
``with asyncio.Runner() as r`` runner), or ``loop.run_until_complete(c())`` followed by
``loop.close()``, where ``c`` is a coroutine function of the module. The analysis is
module-local and deliberately conservative:

* a registration counts when it runs before the entry point returns: at module level or in
  the function holding the entry call (before it, in source order), or in a function of the
  module reached from there or from the entry coroutine by calls (plain names, classes
  through ``__init__``, and methods of the module's classes by name); a registration in a
  function nothing reaches is library code and does not count;
* a task added to the set counts only in the entry coroutine and what it calls (a task
  needs a running loop, and an earlier run's tasks died with its loop);
* a drain counts anywhere in the entry coroutine or in what it calls, or in a later
  ``run``/``run_until_complete`` on the same runner or loop;
* an entry coroutine that reaches ``serve_forever()``/``run_forever()`` or a ``while True:``
  loop that nothing leaves (no ``break``/``return``) is a long-running server, not a
  short-lived script;
* only callbacks LiteLLM runs in the background count (``BACKGROUND_HOOKS``, plain
  ``async def`` functions); failure hooks and the failure lists are awaited inline;
* callbacks are dispatched by awaited calls: an entry coroutine that (with what it calls)
  awaits nothing cannot leave a callback running.

Fix contract (applied by the codemod's ``--drain``): both codes attach
``Fix("drain", statement=<cst.FunctionDef of the entry coroutine>, call=<the entry-point
cst.Call>, names=..., extra=...)``:

* TRK202: ``names=(<tracking set name>,)``, ``extra={}``; the codemod awaits
  ``asyncio.gather(*<set>, return_exceptions=True)`` at every exit of the coroutine. No fix
  is attached when the coroutine (or a function around it) binds a local of that name;
* TRK201: ``names=()``, ``extra={"awaits": ((module, path), ...)}``: for each pair, in order,
  import the first name of ``path`` from ``module`` (``from module import HEAD``) and await
  ``path()`` (``await HEAD.rest()``). For LiteLLM that is ``drain_logging_tasks()`` then
  ``GLOBAL_LOGGING_WORKER.flush()``; for other registries, ``--trk-drain-calls``. No fix is
  attached when no drain is known.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Optional, Union

import libcst as cst

from lint_rules import triggers
from lint_rules.index import ModuleIndex, Span
from lint_rules.names import TASK_FACTORIES, canonical
from lint_rules.rule import Fix, RuleInfo
from lint_rules.scopes import Scope, ScopedRule, Scopes
from lint_rules.settings import Settings
from lint_rules.traversal import source_children

# LiteLLM's module lists whose async entries run in the background (the failure lists,
# `failure_callback` and `_async_failure_callback`, are awaited before the call raises).
LITELLM_REGISTRIES = (
    "litellm.callbacks",
    "litellm.success_callback",
    "litellm.input_callback",
    "litellm.service_callback",
    "litellm.audit_log_callbacks",
    "litellm._async_success_callback",
    "litellm._async_input_callback",
)
LITELLM_MANAGER = "litellm.logging_callback_manager.add_litellm_"
LITELLM_ROUTERS = frozenset({"litellm.Router", "litellm.router.Router"})
PER_CALL_KEYWORDS = frozenset({"callbacks", "success_callback"})
# CustomLogger hooks LiteLLM 1.110.2 schedules in the background (success handler via the
# logging worker, audit log via create_task); the others are awaited inline.
BACKGROUND_HOOKS = frozenset(
    {
        "async_log_success_event",
        "async_log_stream_event",
        "async_log_event",
        "async_logging_hook",
        "async_log_audit_log_event",
    }
)
# (module to import from, attribute path to await), in the order to await them
LITELLM_DRAINS = (
    ("litellm.responses.streaming_iterator", "drain_logging_tasks"),
    ("litellm.litellm_core_utils.logging_worker", "GLOBAL_LOGGING_WORKER.flush"),
)
BATCH_DRAIN_METHOD = "flush_queue"  # CustomBatchLogger.flush_queue(), whatever the receiver
SET_WAITERS = frozenset({"asyncio.gather", "asyncio.wait", "asyncio.wait_for", "asyncio.shield"})
LONG_RUNNING_METHODS = frozenset({"serve_forever", "run_forever"})

TRK201 = RuleInfo(
    code="TRK201",
    name="undrained-callbacks",
    message="{entry} ends the loop when {coroutine}() returns, cancelling the async callback "
    "registered on line {line} if it is still running: {drain} before it returns",
    summary="An async callback is registered and a short-lived asyncio.run() entry point "
    "returns without draining the callbacks running in the background.",
    explanation=(
        "LiteLLM runs async success/stream callbacks as background tasks. asyncio.run()\n"
        "cancels every task still pending when the entry coroutine returns, so in a short\n"
        "script the callback is cancelled or never runs, silently (LiteLLM issue #8842).\n"
        "Await the library's drain before the coroutine returns: for LiteLLM 1.110.2,\n"
        "litellm.responses.streaming_iterator.drain_logging_tasks() and then\n"
        "litellm.litellm_core_utils.logging_worker.GLOBAL_LOGGING_WORKER.flush() (a batch\n"
        "logger also needs its flush_queue()). Registrations: litellm.callbacks and the other\n"
        "callback lists (=, +=, append, extend, insert, setattr), the logging callback\n"
        "manager, per-call callbacks=/success_callback=, and --trk-callback-registries\n"
        "(with their drains in --trk-drain-calls, as module.function or\n"
        "module:OBJECT.method). Registered: instances of classes of the module overriding a\n"
        "hook LiteLLM runs in the background (async_log_success_event,\n"
        "async_log_stream_event, ...), and async def functions; failure hooks and lists are\n"
        "awaited inline and do not count. A registration inside a function counts only if\n"
        "that function runs before the entry point (it is reached from module level, from\n"
        "the function holding the entry call, or from the entry coroutine). Long-running\n"
        "servers and library code without a short-lived entry point are never reported."
    ),
    bad=(
        "import asyncio\n\n"
        "import litellm\n"
        "from litellm.integrations.custom_logger import CustomLogger\n\n\n"
        "class Billing(CustomLogger):\n"
        '    dispatch_mode = "fire_and_forget"\n\n'
        "    async def async_log_success_event(self, kwargs, response, start, end):\n"
        "        await charge(kwargs)\n\n\n"
        "litellm.callbacks.append(Billing())\n\n\n"
        "async def main():\n"
        '    await litellm.acompletion(model="gpt-4o-mini", messages=[])\n\n\n'
        "asyncio.run(main())\n"
    ),
    good=(
        "import asyncio\n\n"
        "import litellm\n"
        "from litellm.integrations.custom_logger import CustomLogger\n"
        "from litellm.litellm_core_utils.logging_worker import GLOBAL_LOGGING_WORKER\n"
        "from litellm.responses.streaming_iterator import drain_logging_tasks\n\n\n"
        "class Billing(CustomLogger):\n"
        '    dispatch_mode = "fire_and_forget"\n\n'
        "    async def async_log_success_event(self, kwargs, response, start, end):\n"
        "        await charge(kwargs)\n\n\n"
        "litellm.callbacks.append(Billing())\n\n\n"
        "async def main():\n"
        '    await litellm.acompletion(model="gpt-4o-mini", messages=[])\n'
        "    await drain_logging_tasks()\n"
        "    await GLOBAL_LOGGING_WORKER.flush()\n\n\n"
        "asyncio.run(main())\n"
    ),
    autofix="the entry coroutine, with `--drain` (LiteLLM's drains or --trk-drain-calls)",
)
TRK202 = RuleInfo(
    code="TRK202",
    name="undrained-tracking-set",
    message="{entry} cancels the tasks left in '{name}' when {coroutine}() returns: await "
    "asyncio.gather(*{name}, return_exceptions=True) before it returns",
    summary="A module-level set keeps fire-and-forget tasks alive, but a short-lived "
    "asyncio.run() entry point returns without awaiting it.",
    explanation=(
        "A module-level tracking set (tasks.add(t); t.add_done_callback(tasks.discard))\n"
        "keeps background tasks from being garbage-collected, but it does not keep the event\n"
        "loop running: asyncio.run() cancels whatever is still in the set when the entry\n"
        "coroutine returns. In a short-lived script, await the set before returning. Only\n"
        "sets that receive tasks in the entry coroutine, or in what it calls, count."
    ),
    bad=(
        "import asyncio\n\n"
        "_background_tasks = set()\n\n\n"
        "async def main():\n"
        "    task = asyncio.create_task(send_report())\n"
        "    _background_tasks.add(task)\n"
        "    task.add_done_callback(_background_tasks.discard)\n\n\n"
        "asyncio.run(main())\n"
    ),
    good=(
        "import asyncio\n\n"
        "_background_tasks = set()\n\n\n"
        "async def main():\n"
        "    task = asyncio.create_task(send_report())\n"
        "    _background_tasks.add(task)\n"
        "    task.add_done_callback(_background_tasks.discard)\n"
        "    await asyncio.gather(*_background_tasks, return_exceptions=True)\n\n\n"
        "asyncio.run(main())\n"
    ),
    autofix="the entry coroutine, with `--drain`",
)

_CALLED = r"\s*\((?:\s|#[^\n]*)*(\w+)\s*\("  # `(c(`, capturing c

Owner = Optional[cst.FunctionDef]  # the function a node runs in; None: module level
Definition = Union[cst.FunctionDef, cst.ClassDef]


def split_drain(name: str) -> tuple[str, str]:
    """``mylib.worker:WORKER.flush`` or ``mylib.flush`` -> (module, attribute path)."""
    if ":" in name:
        module, _, path = name.partition(":")
        return module, path
    module, _, path = name.rpartition(".")
    return module, path


def describe_drains(awaits: Sequence[tuple[str, str]]) -> str:
    """``await a() then b() (from m1, m2)``: what TRK201 asks to add."""
    calls = " then ".join(f"{path}()" for _, path in awaits)
    modules = ", ".join(dict.fromkeys(module for module, _ in awaits))
    return f"await {calls} (from {modules})"


def _children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """``node`` and everything below it, not entering nested functions or lambdas."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(
            child
            for child in source_children(current)
            if not isinstance(child, (cst.FunctionDef, cst.Lambda, cst.ClassDef))
        )


def _is_endless(loop: cst.While) -> bool:
    """``while True:`` (or ``while 1:``) that no ``break``, ``return`` or ``raise`` leaves."""
    test = loop.test
    if not (
        (isinstance(test, cst.Name) and test.value == "True")
        or (isinstance(test, cst.Integer) and test.value != "0")
    ):
        return False
    return not _leaves(loop.body, breaks=True)


def _leaves(node: cst.CSTNode, breaks: bool) -> bool:
    """A ``return``/``raise`` (or, if ``breaks``, a ``break`` of this loop) in ``node``."""
    if isinstance(node, (cst.Return, cst.Raise)) or (breaks and isinstance(node, cst.Break)):
        return True
    if isinstance(node, (cst.FunctionDef, cst.Lambda, cst.ClassDef)):
        return False
    inner = breaks and not isinstance(node, (cst.For, cst.While))
    return any(_leaves(child, inner) for child in source_children(node))


def _positional(call: cst.Call, position: int) -> cst.BaseExpression | None:
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    return positional[position].value if len(positional) > position else None


@dataclass(frozen=True)
class Item:
    """Something that happens at one place: a call, a registration, a task added to a set."""

    node: cst.CSTNode
    scopes: Scopes
    seq: int  # visit order = source order
    owner: Owner


@dataclass(frozen=True)
class Registration:
    item: Item
    value: cst.BaseExpression
    litellm: bool  # a LiteLLM registry (else one named with --trk-callback-registries)


@dataclass(frozen=True)
class Entry:
    call: cst.Call
    item: Item
    coroutine: cst.FunctionDef
    kind: str  # "run" (asyncio.run), "runner" (Runner.run) or "loop" (run_until_complete)
    text: str  # how the message names it
    receiver: tuple[int, str] | None  # the runner or loop it runs on, if named


class CallbackRules(ScopedRule):
    INFOS = (TRK201, TRK202)

    TRIGGER = staticmethod(triggers.callbacks)

    @classmethod
    def regions(
        cls, index: ModuleIndex, settings: Settings, trigger_lines: Sequence[int]
    ) -> Iterable[Span]:
        """The whole module (the analysis follows calls across it), but only if the text
        has an entry-point call on a coroutine function it defines and a registration or a
        tracking set: most files with ``run(`` have neither."""
        text = "".join(index.lines)
        aliases = re.findall(r"run\s+as\s+(\w+)", text)
        runners = "|".join(["run", *map(re.escape, aliases)])
        called = set(re.findall(rf"(?:{runners})(?:_until_complete)?{_CALLED}", text))
        if not any(re.search(rf"async\s+def\s+{name}\b", text) for name in called):
            return []
        registries = [name.rsplit(".", 1)[-1] for name in settings.callback_registries]
        words = "|".join(["callback", r"\.\s*add\b", *map(re.escape, registries)])
        if not re.search(words, text):
            return []
        return [Span(1, max(len(index.lines), 1))]

    def __init__(self, context) -> None:  # type: ignore[no-untyped-def]
        super().__init__(context)
        self._seq = 0
        self._calls: list[Item] = []
        self._assignments: list[Item] = []
        self._awaits: list[Item] = []
        self._loops: list[Item] = []
        self._endless: set[Owner] = set()  # functions with a `while True:` loop never left
        self._defs: dict[Scope, dict[str, list[Definition]]] = {}
        self._def_chain: dict[Definition, Scopes] = {}  # the scopes a def is defined in
        self._methods: dict[str, list[cst.FunctionDef]] = {}
        self._class_methods: dict[cst.ClassDef, dict[str, cst.FunctionDef]] = {}
        self._registries = frozenset(LITELLM_REGISTRIES)
        self._configured = frozenset(settings_names(self.settings.callback_registries))
        self._drains = frozenset(
            f"{module}.{path}"
            for module, path in (*LITELLM_DRAINS, *map(split_drain, self.settings.drain_calls))
        )
        self._factories = TASK_FACTORIES | {canonical(n) for n in self.settings.task_factories}

    # -- collecting --------------------------------------------------------------------

    def _item(self, node: cst.CSTNode) -> Item:
        self._seq += 1
        scopes = self.snapshot()
        owner = next(
            (s.node for s in reversed(scopes) if isinstance(s.node, cst.FunctionDef)), None
        )
        return Item(node, scopes, self._seq, owner)  # type: ignore[arg-type]

    def _define(self, node: Definition) -> None:
        scope = self.scopes[-1]
        self._defs.setdefault(scope, {}).setdefault(node.name.value, []).append(node)
        self._def_chain[node] = self.snapshot()
        if isinstance(node, cst.FunctionDef) and isinstance(scope.node, cst.ClassDef):
            self._class_methods.setdefault(scope.node, {})[node.name.value] = node
            if not node.name.value.startswith("__"):
                self._methods.setdefault(node.name.value, []).append(node)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self._define(node)
        super().visit_FunctionDef(node)

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self._define(node)
        super().visit_ClassDef(node)

    def visit_Call(self, node: cst.Call) -> None:
        self._calls.append(self._item(node))

    def visit_Assign(self, node: cst.Assign) -> None:
        super().visit_Assign(node)
        self._assignments.append(self._item(node))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        super().visit_AugAssign(node)
        self._assignments.append(self._item(node))

    def visit_Await(self, node: cst.Await) -> None:
        self._awaits.append(self._item(node))

    def visit_For(self, node: cst.For) -> None:
        super().visit_For(node)
        self._loops.append(self._item(node))

    def visit_While(self, node: cst.While) -> None:
        if _is_endless(node):
            self._endless.add(self._item(node).owner)

    # -- names -------------------------------------------------------------------------

    def _binding_scope(self, name: str, scopes: Scopes) -> Scope:
        return self.scope_of(name, scopes) or scopes[0]

    def _definitions(self, node: cst.BaseExpression, scopes: Scopes) -> list[Definition]:
        if not isinstance(node, cst.Name):
            return []
        return self._defs.get(self._binding_scope(node.value, scopes), {}).get(node.value, [])

    def _values(self, name: str, scopes: Scopes) -> list[cst.BaseExpression]:
        scope = self._binding_scope(name, scopes)
        return [value for value in scope.values.get(name, ()) if value is not None]

    def _coroutine(self, node: cst.BaseExpression | None, scopes: Scopes) -> cst.FunctionDef | None:
        """The coroutine function of this module that ``node`` (``c(...)``) calls."""
        if not isinstance(node, cst.Call):
            return None
        for definition in self._definitions(node.func, scopes):
            if isinstance(definition, cst.FunctionDef) and definition.asynchronous is not None:
                return definition
        return None

    # -- the call graph ----------------------------------------------------------------

    def _callees(self, item: Item) -> Iterator[cst.FunctionDef]:
        call = item.node
        assert isinstance(call, cst.Call)
        for definition in self._definitions(call.func, item.scopes):
            if isinstance(definition, cst.FunctionDef):
                yield definition
            else:
                init = self._class_methods.get(definition, {}).get("__init__")
                if init is not None:
                    yield init
        func = call.func
        if isinstance(func, cst.Attribute) and self.qualname(func, item.scopes) is None:
            yield from self._methods.get(func.attr.value, ())

    def _closure(self, roots: Iterable[cst.FunctionDef]) -> set[cst.FunctionDef]:
        reached = set(roots)
        pending = list(reached)
        while pending:
            function = pending.pop()
            for callee in self._edges.get(function, ()):
                if callee not in reached:
                    reached.add(callee)
                    pending.append(callee)
        return reached

    # -- leaving: the analysis ---------------------------------------------------------

    def leave_Module(self, original_node: cst.Module) -> None:
        registrations = list(self._registrations())
        sets = self._tracking_sets()
        if not registrations and not sets:
            return
        self._set_names = frozenset(sets)
        self._edges: dict[Owner, set[cst.FunctionDef]] = {}
        self._calls_in: dict[Owner, list[Item]] = {}
        for item in self._calls:
            self._edges.setdefault(item.owner, set()).update(self._callees(item))
            self._calls_in.setdefault(item.owner, []).append(item)
        self._awaits_in: dict[Owner, list[Item]] = {}
        for item in self._awaits:
            self._awaits_in.setdefault(item.owner, []).append(item)
        for entry in self._entries():
            self._check(entry, registrations, sets)

    def _check(
        self, entry: Entry, registrations: list[Registration], sets: dict[str, list[Item]]
    ) -> None:
        drain_scope = self._closure([entry.coroutine])
        if any(self._is_long_running(function) for function in drain_scope):
            return
        roots = {entry.coroutine}
        for item in self._calls:
            if self._runs_before(item, entry, frozenset()):
                roots.update(self._callees(item))
        reached = self._closure(roots) - {entry.item.owner}
        later_runs = self._later_runs(entry)

        counted = [r for r in registrations if self._runs_before(r.item, entry, reached)]
        async_callbacks = [r for r in counted if self._is_async_callback(r)]
        # callbacks are dispatched by awaited calls (acompletion, ...): a coroutine that awaits
        # nothing cannot leave one running
        awaits = any(self._awaits_in.get(function) for function in drain_scope)
        if (
            async_callbacks
            and awaits
            and not (
                any(self._drains_callbacks(function) for function in drain_scope)
                or any(self._expression_drains(run, scopes, None) for run, scopes in later_runs)
            )
        ):
            self._report_callbacks(entry, async_callbacks)

        # tasks need a running loop: only the entry coroutine (and what it calls) can add
        # them to this loop, and an earlier run's tasks died with its loop
        for name, adds in sorted(sets.items()):
            if not any(add.owner in drain_scope for add in adds):
                continue
            if any(self._awaits_set(function, name) for function in drain_scope) or any(
                self._expression_drains(run, scopes, name) for run, scopes in later_runs
            ):
                continue
            fix = (
                None
                if self._shadows(entry.coroutine, name)
                else Fix("drain", entry.coroutine, entry.call, (name,))
            )
            coroutine = entry.coroutine.name.value
            self.report(entry.call, "TRK202", fix, entry=entry.text, name=name, coroutine=coroutine)

    def _shadows(self, coroutine: cst.FunctionDef, name: str) -> bool:
        """In ``coroutine``, ``name`` is not the module-level set (a drain written there
        would await something else)."""
        chain = next((c for s, c in self.chains.items() if s.node is coroutine), None)
        return chain is not None and self.scope_of(name, chain) is not None

    def _runs_before(self, item: Item, entry: Entry, reached: Collection[cst.FunctionDef]) -> bool:
        """``item`` runs before ``entry`` returns: it is in a reached function, or before
        the entry call at module level or in the function that holds the entry call."""
        owner = entry.item.owner
        if item.owner is owner:
            return item.seq < entry.item.seq
        if item.owner is not None:
            return item.owner in reached
        return True  # module level, and the entry call is inside a function

    def _report_callbacks(self, entry: Entry, registrations: list[Registration]) -> None:
        first = min(registrations, key=lambda r: r.item.seq)
        litellm = any(r.litellm for r in registrations)
        awaits = LITELLM_DRAINS if litellm else tuple(map(split_drain, self.settings.drain_calls))
        if awaits:
            drain = describe_drains(awaits)
            fix: Fix | None = Fix("drain", entry.coroutine, entry.call, extra={"awaits": awaits})
        else:
            drain = "await your library's drain (name it with --trk-drain-calls)"
            fix = None
        self.report(
            entry.call,
            "TRK201",
            fix,
            entry=entry.text,
            coroutine=entry.coroutine.name.value,
            line=self.context.line_of(first.item.node),
            drain=drain,
        )

    # -- entry points ------------------------------------------------------------------

    def _entries(self) -> Iterator[Entry]:
        """Every short-lived entry point; on a named runner or loop, only the last run of a
        coroutine before the loop closes (the earlier runs' tasks live on until then)."""
        candidates = [entry for item in self._calls if (entry := self._entry(item)) is not None]
        for entry in candidates:
            if entry.receiver is None:
                yield entry
                continue
            close = self._closing_seq(entry)
            if close is None:
                continue
            if not any(
                other.receiver == entry.receiver
                and other.item.owner is entry.item.owner
                and entry.item.seq < other.item.seq < close
                for other in candidates
            ):
                yield entry

    def _entry(self, item: Item) -> Entry | None:
        call = item.node
        assert isinstance(call, cst.Call)
        func, scopes = call.func, item.scopes
        coroutine = self._coroutine(_positional(call, 0), scopes)
        if coroutine is None:
            return None
        if self.qualname(func, scopes) == "asyncio.run":
            return Entry(call, item, coroutine, "run", "asyncio.run()", None)
        if not isinstance(func, cst.Attribute):
            return None
        receiver = func.value
        if func.attr.value == "run":
            if isinstance(receiver, cst.Call) and self._is_runner(receiver, scopes):
                return Entry(call, item, coroutine, "runner", "asyncio.Runner().run()", None)
            if isinstance(receiver, cst.Name) and self._is_runner_name(receiver.value, scopes):
                key = self._receiver_key(receiver.value, scopes)
                return Entry(call, item, coroutine, "runner", f"{receiver.value}.run()", key)
        elif func.attr.value == "run_until_complete" and isinstance(receiver, cst.Name):
            key = self._receiver_key(receiver.value, scopes)
            text = f"{receiver.value}.run_until_complete() followed by {receiver.value}.close()"
            return Entry(call, item, coroutine, "loop", text, key)
        return None

    def _receiver_key(self, name: str, scopes: Scopes) -> tuple[int, str]:
        return id(self._binding_scope(name, scopes)), name

    def _is_runner(self, node: cst.BaseExpression, scopes: Scopes) -> bool:
        return isinstance(node, cst.Call) and self.qualname(node.func, scopes) == "asyncio.Runner"

    def _is_runner_name(self, name: str, scopes: Scopes) -> bool:
        scope = self._binding_scope(name, scopes)
        chain = self.chains.get(scope, scopes)
        manager = scope.context_managers.get(name)
        if manager is not None and self._is_runner(manager, chain):
            return True
        return any(self._is_runner(value, chain) for value in self._values(name, scopes))

    def _receiver_calls(self, entry: Entry, method: str) -> Iterator[Item]:
        """Calls of ``<receiver>.<method>(...)`` on the entry's runner or loop, after the
        entry call, in the same function."""
        for item in self._calls_in.get(entry.item.owner, ()):
            call = item.node
            assert isinstance(call, cst.Call)
            func = call.func
            if (
                item.seq > entry.item.seq
                and isinstance(func, cst.Attribute)
                and func.attr.value == method
                and isinstance(func.value, cst.Name)
                and self._receiver_key(func.value.value, item.scopes) == entry.receiver
            ):
                yield item

    def _closing_seq(self, entry: Entry) -> int | None:
        """Where the entry's loop is closed: ``close()``; a runner used as a context manager
        (or never closed) lives to the end of the module at most."""
        close = min((item.seq for item in self._receiver_calls(entry, "close")), default=None)
        if close is None and entry.kind == "runner":
            return self._seq + 1
        return close

    def _later_runs(self, entry: Entry) -> list[tuple[cst.BaseExpression, Scopes]]:
        """What later runs on the same runner or loop, before it closes, run."""
        if entry.receiver is None:
            return []
        close = self._closing_seq(entry) or entry.item.seq
        method = "run" if entry.kind == "runner" else "run_until_complete"
        found = []
        for item in self._receiver_calls(entry, method):
            argument = _positional(item.node, 0)  # type: ignore[arg-type]
            if item.seq < close and argument is not None:
                found.append((argument, item.scopes))
        return found

    # -- drains ------------------------------------------------------------------------

    def _is_drain_call(self, call: cst.Call, scopes: Scopes) -> bool:
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == BATCH_DRAIN_METHOD:
            return True
        return self.qualname(func, scopes) in self._drains

    def _mentions(self, node: cst.CSTNode, names: frozenset[str], scopes: Scopes) -> bool:
        """A module-level name in ``names`` occurs in ``node``."""
        return any(
            isinstance(inner, cst.Name)
            and inner.value in names
            and self.scope_of(inner.value, scopes) is None
            for inner in _children(node)
        )

    def _waits_on(self, call: cst.Call, scopes: Scopes, names: frozenset[str]) -> bool:
        """``call`` is gather/wait/... over one of the module-level sets ``names``."""
        return self.qualname(call.func, scopes) in SET_WAITERS and any(
            self._mentions(arg, names, scopes) for arg in call.args
        )

    def _awaited_calls(self, function: cst.FunctionDef) -> Iterator[tuple[cst.Call, Scopes]]:
        for item in self._awaits_in.get(function, ()):
            for node in _children(item.node):
                if isinstance(node, cst.Call):
                    yield node, item.scopes

    def _drains_callbacks(self, function: cst.FunctionDef) -> bool:
        return any(
            self._is_drain_call(call, scopes) or self._waits_on(call, scopes, self._set_names)
            for call, scopes in self._awaited_calls(function)
        ) or any(self._awaits_set(function, name) for name in self._set_names)

    def _awaits_set(self, function: cst.FunctionDef, name: str) -> bool:
        names = frozenset({name})
        if any(
            self._waits_on(call, scopes, names) for call, scopes in self._awaited_calls(function)
        ):
            return True
        return any(self._loop_awaits(item, names) for item in self._loops if item.owner is function)

    def _loop_awaits(self, item: Item, names: frozenset[str]) -> bool:
        """``for task in <set>: await task`` (or over list(<set>), ...)."""
        loop = item.node
        assert isinstance(loop, cst.For)
        if not isinstance(loop.target, cst.Name) or not self._mentions(
            loop.iter, names, item.scopes
        ):
            return False
        target = loop.target.value
        return any(
            isinstance(node, cst.Await)
            and isinstance(node.expression, cst.Name)
            and node.expression.value == target
            for node in _children(loop.body)
        )

    def _expression_drains(
        self, node: cst.BaseExpression, scopes: Scopes, set_name: str | None
    ) -> bool:
        """A later ``run(<node>)`` on the entry's runner or loop drains the callbacks
        (``set_name`` None) or the set: a drain call, a wait on the set, or a coroutine of
        the module that drains."""
        coroutine = self._coroutine(node, scopes)
        if coroutine is not None:
            closure = self._closure([coroutine])
            if set_name is None:
                return any(self._drains_callbacks(function) for function in closure)
            return any(self._awaits_set(function, set_name) for function in closure)
        names = self._set_names if set_name is None else frozenset({set_name})
        return any(
            isinstance(call, cst.Call)
            and (
                (set_name is None and self._is_drain_call(call, scopes))
                or self._waits_on(call, scopes, names)
            )
            for call in _children(node)
        )

    def _is_long_running(self, function: cst.FunctionDef) -> bool:
        """A server: ``serve_forever()``/``run_forever()``, or a ``while True:`` loop that
        nothing leaves (its tasks are meant to die with the process)."""
        return function in self._endless or any(
            isinstance(item.node, cst.Call)
            and isinstance(item.node.func, cst.Attribute)
            and item.node.func.attr.value in LONG_RUNNING_METHODS
            for item in self._calls_in.get(function, ())
        )

    # -- registrations -----------------------------------------------------------------

    def _registry(self, node: cst.BaseExpression, scopes: Scopes) -> bool | None:
        """True for a LiteLLM registry, False for a configured one, None otherwise."""
        qualified = self.qualname(node, scopes)
        if qualified in self._registries:
            return True
        if qualified in self._configured:
            return False
        return None

    def _registrations(self) -> Iterator[Registration]:
        for item in self._assignments:
            yield from self._assignment_registrations(item)
        for item in self._calls:
            yield from self._call_registrations(item)

    def _assignment_registrations(self, item: Item) -> Iterator[Registration]:
        node = item.node
        if isinstance(node, cst.Assign):
            for target in node.targets:
                # `callbacks = [...]` on a bare name rebinds the name, not LiteLLM's list
                if isinstance(target.target, cst.Attribute):
                    kind = self._registry(target.target, item.scopes)
                    if kind is not None:
                        yield Registration(item, node.value, kind)
        elif isinstance(node, cst.AugAssign) and isinstance(node.operator, cst.AddAssign):
            kind = self._registry(node.target, item.scopes)
            if kind is not None:
                yield Registration(item, node.value, kind)

    def _call_registrations(self, item: Item) -> Iterator[Registration]:
        call = item.node
        assert isinstance(call, cst.Call)
        func, scopes = call.func, item.scopes
        if isinstance(func, cst.Attribute) and func.attr.value in ("append", "extend", "insert"):
            kind = self._registry(func.value, scopes)
            value = _positional(call, 1 if func.attr.value == "insert" else 0)
            if kind is not None and value is not None:
                yield Registration(item, value, kind)
            return
        qualified = self.qualname(func, scopes)
        if qualified and qualified.startswith(LITELLM_MANAGER) and "failure" not in qualified:
            value = _positional(call, 0)
            if value is not None:
                yield Registration(item, value, True)
            return
        if (
            isinstance(func, cst.Name)
            and func.value == "setattr"
            and self.is_builtin("setattr", scopes)
        ):
            yield from self._setattr_registration(item, call)
            return
        if (qualified and qualified.startswith("litellm.")) or self._is_router_method(func, scopes):
            for arg in call.args:
                if arg.keyword is not None and arg.keyword.value in PER_CALL_KEYWORDS:
                    yield Registration(item, arg.value, True)

    def _setattr_registration(self, item: Item, call: cst.Call) -> Iterator[Registration]:
        owner, attribute, value = (_positional(call, n) for n in range(3))
        if owner is None or value is None or not isinstance(attribute, cst.SimpleString):
            return
        module = self.qualname(owner, item.scopes)
        name = attribute.evaluated_value
        if module is None or not isinstance(name, str):
            return
        qualified = f"{module}.{name}"
        if qualified in self._registries or qualified in self._configured:
            yield Registration(item, value, qualified in self._registries)

    def _is_router_method(self, func: cst.BaseExpression, scopes: Scopes) -> bool:
        if not isinstance(func, cst.Attribute):
            return False
        receiver = func.value
        if isinstance(receiver, cst.Call):
            return self.qualname(receiver.func, scopes) in LITELLM_ROUTERS
        if isinstance(receiver, cst.Name):
            return any(
                isinstance(value, cst.Call) and self.qualname(value.func, scopes) in LITELLM_ROUTERS
                for value in self._values(receiver.value, scopes)
            )
        return False

    # -- what is registered ------------------------------------------------------------

    def _is_async_callback(self, registration: Registration) -> bool:
        return self._async_value(
            registration.value, registration.item.scopes, registration.litellm, 3
        )

    def _async_value(
        self, node: cst.BaseExpression, scopes: Scopes, litellm: bool, depth: int
    ) -> bool:
        if depth < 0:
            return False
        if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
            return any(self._async_value(e.value, scopes, litellm, depth) for e in node.elements)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
            return self._async_value(node.left, scopes, litellm, depth) or self._async_value(
                node.right, scopes, litellm, depth
            )
        if isinstance(node, cst.Call):
            return any(
                isinstance(d, cst.ClassDef) and self._has_async_hooks(d, litellm, frozenset())
                for d in self._definitions(node.func, scopes)
            )
        if isinstance(node, cst.Name):
            definitions = self._definitions(node, scopes)
            if definitions:
                return any(
                    isinstance(d, cst.FunctionDef) and d.asynchronous is not None
                    for d in definitions
                )
            scope = self._binding_scope(node.value, scopes)
            chain = self.chains.get(scope, scopes)
            return any(
                self._async_value(value, chain, litellm, depth - 1)
                for value in self._values(node.value, scopes)
            )
        return False

    def _has_async_hooks(
        self, cls: cst.ClassDef, litellm: bool, seen: frozenset[cst.ClassDef]
    ) -> bool:
        for name, method in self._class_methods.get(cls, {}).items():
            if method.asynchronous is None:
                continue
            if name in BACKGROUND_HOOKS if litellm else not name.startswith("_"):
                return True
        chain = self._def_chain[cls]
        return any(
            isinstance(parent, cst.ClassDef)
            and parent not in seen
            and self._has_async_hooks(parent, litellm, seen | {cls})
            for base in cls.bases
            for parent in self._definitions(base.value, chain)
        )

    # -- tracking sets -----------------------------------------------------------------

    def _tracking_sets(self) -> dict[str, list[Item]]:
        """Module-level sets that receive tasks, with the places that add them."""
        discarded = {
            name for item in self._calls if (name := self._discard_callback(item)) is not None
        }
        sets: dict[str, list[Item]] = {}
        for item in self._calls:
            call = item.node
            assert isinstance(call, cst.Call)
            func = call.func
            if not (
                isinstance(func, cst.Attribute)
                and func.attr.value == "add"
                and isinstance(func.value, cst.Name)
                and self._is_module_set(func.value, item.scopes)
            ):
                continue
            name = func.value.value
            added = _positional(call, 0)
            if name in discarded or (added is not None and self._is_task(added, item.scopes)):
                sets.setdefault(name, []).append(item)
        return sets

    def _discard_callback(self, item: Item) -> str | None:
        """``<task>.add_done_callback(<set>.discard)``: the set's name."""
        call = item.node
        assert isinstance(call, cst.Call)
        func = call.func
        argument = _positional(call, 0)
        if (
            isinstance(func, cst.Attribute)
            and func.attr.value == "add_done_callback"
            and isinstance(argument, cst.Attribute)
            and argument.attr.value == "discard"
            and isinstance(argument.value, cst.Name)
        ):
            return argument.value.value
        return None

    def _is_module_set(self, node: cst.Name, scopes: Scopes) -> bool:
        if self.scope_of(node.value, scopes) is not None:
            return False
        return any(
            isinstance(value, cst.Call)
            and isinstance(value.func, cst.Name)
            and value.func.value == "set"
            and not value.args
            for value in scopes[0].values.get(node.value, ())
        )

    def _is_task(self, node: cst.BaseExpression, scopes: Scopes) -> bool:
        if isinstance(node, cst.Call):
            func = node.func
            if isinstance(func, cst.Attribute) and func.attr.value in (
                "create_task",
                "ensure_future",
            ):
                return True
            return self.qualname(func, scopes) in self._factories
        if isinstance(node, cst.Name):
            return any(
                isinstance(value, cst.Call) and self._is_task(value, scopes)
                for value in self._values(node.value, scopes)
            )
        return False


def settings_names(names: Iterable[str]) -> Iterator[str]:
    for name in names:
        yield canonical(name.replace(":", "."))
