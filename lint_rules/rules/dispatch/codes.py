"""TRK3xx: what the family reports (its codes, in the words users read) and what wakes it.

Importable without libcst (``lint_rules.engine.info``).
"""

from __future__ import annotations

import functools
import re

from lint_rules.engine.info import Family, FixOption, RuleInfo
from lint_rules.engine.triggers import Trigger, last_names
from lint_rules.rules import litellm
from lint_rules.settings import DISPATCH_MODES, Settings

_MODES = " or ".join(f'"{mode}"' for mode in DISPATCH_MODES)

TRK301 = RuleInfo(
    code="TRK301",
    name="undeclared-dispatch-mode",
    message="callback class '{name}' has async hooks ({hooks}) but no dispatch mode: add "
    '{attribute} = "blocking" (awaited inline) or "fire_and_forget" (background, drained)',
    summary="A callback class (LiteLLM CustomLogger subclass) with async hooks that does not "
    "declare its dispatch mode.",
    explanation=(
        "LiteLLM runs some async hooks (async_log_success_event, async_log_stream_event, ...)\n"
        "as background tasks and awaits others inline, and nothing in a CustomLogger says which\n"
        "behaviour its author relies on. An audit or billing hook that must complete before the\n"
        "response returns, scheduled in the background, is silently lost when a short-lived\n"
        "script's event loop closes. Declare the intent as a class attribute, 'blocking' or\n"
        "'fire_and_forget', so that reviewers, tests and dispatch code can enforce it.\n"
        "Recognised: subclasses of litellm.CustomLogger (any import form) and of LiteLLM's\n"
        "intermediate bases (CustomBatchLogger, CustomGuardrail, CustomPromptManagement, ...),\n"
        "bases named with --trk-callback-bases, and classes of the same module deriving from\n"
        "them. A declaration in a base class of the same module counts; a base from another\n"
        "module is assumed not to declare."
    ),
    bad=(
        "from litellm.integrations.custom_logger import CustomLogger\n\n\n"
        "class AuditLogger(CustomLogger):\n"
        "    async def async_log_success_event(self, kwargs, response, start, end):\n"
        "        await audit_store.write(kwargs)\n"
    ),
    good=(
        "from litellm.integrations.custom_logger import CustomLogger\n\n\n"
        "class AuditLogger(CustomLogger):\n"
        '    dispatch_mode = "blocking"\n\n'
        "    async def async_log_success_event(self, kwargs, response, start, end):\n"
        "        await audit_store.write(kwargs)\n"
    ),
    autofix="the class, with `--declare-dispatch-mode=blocking|fire_and_forget`",
)
TRK302 = RuleInfo(
    code="TRK302",
    name="invalid-dispatch-mode",
    message="'{declaration}' does not declare a dispatch mode: assign the string literal " + _MODES,
    summary="A callback class declares its dispatch mode with a value that is not "
    '"blocking" or "fire_and_forget".',
    explanation=(
        "The declaration is read by tools, not by Python: it must be one of the two string\n"
        'literals "blocking" or "fire_and_forget", written in the class body (an annotation\n'
        "such as ClassVar[str] is fine). Computed values, constants from elsewhere, other\n"
        "strings and an annotation without a value are reported."
    ),
    bad=(
        "import litellm\n\n\n"
        "class UsageAnalytics(litellm.CustomLogger):\n"
        '    dispatch_mode = "background"\n\n'
        "    async def async_log_success_event(self, kwargs, response, start, end):\n"
        "        await metrics.count(kwargs)\n"
    ),
    good=(
        "import litellm\n\n\n"
        "class UsageAnalytics(litellm.CustomLogger):\n"
        '    dispatch_mode = "fire_and_forget"\n\n'
        "    async def async_log_success_event(self, kwargs, response, start, end):\n"
        "        await metrics.count(kwargs)\n"
    ),
    autofix="",
)

INFOS = (TRK301, TRK302)


@functools.lru_cache(maxsize=16)
def trigger(settings: Settings) -> Trigger:
    """The name of a callback base class."""
    bases = sorted(set(last_names((*litellm.CALLBACK_BASES, *settings.callback_bases))))
    # no leading \b: a literal first character lets `re` skip ahead (much faster)
    return Trigger(tuple(bases), rf"(?:{'|'.join(map(re.escape, bases))})\b")


DECLARE = FixOption(
    "declare_dispatch_mode",
    "TRK301: declare this dispatch mode in each callback class that has none",
    DISPATCH_MODES,
)
FAMILY = Family(INFOS, trigger, "lint_rules.rules.dispatch.rule:DispatchRules", (DECLARE,))
