"""What wakes each rule family: cheap text tests, importable without libcst.

The flake8 plugin asks ``may_matter()`` before it imports the engine, so that a flake8 process
whose files hold no trigger never pays libcst's import (about a quarter of a second). The
engine asks each family's ``Trigger`` which lines can matter before parsing anything.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from lint_rules.settings import Settings

# LiteLLM's CustomLogger under both import paths, and the subclasses that LiteLLM 1.110.2
# itself derives from in other modules (measured: benchmarks/README.md). A user class deriving
# from any of them is a CustomLogger subclass without us seeing LiteLLM's source.
CALLBACK_BASES = (
    "litellm.integrations.custom_logger.CustomLogger",
    "litellm.CustomLogger",
    "litellm.integrations.custom_guardrail.CustomGuardrail",
    "litellm.integrations.custom_batch_logger.CustomBatchLogger",
    "litellm.integrations.custom_prompt_management.CustomPromptManagement",
    "litellm.integrations.opentelemetry.OpenTelemetry",
    "litellm.integrations.otel.logger.OpenTelemetryV2",
    "litellm.integrations.gcs_bucket.gcs_bucket_base.GCSBucketBase",
    "litellm.integrations.focus.focus_logger.FocusLogger",
    "litellm.integrations.azure_storage.azure_storage.AzureBlobStorageLogger",
    "litellm.integrations.clickhouse.clickhouse_batch_logger.ClickHouseBatchLogger",
    "litellm.proxy.guardrails.guardrail_hooks.generic_guardrail_api.generic_guardrail_api"
    ".GenericGuardrailAPI",
    "litellm.router_strategy.budget_limiter.RouterBudgetLimiting",
)
# the asyncio calls TRK1xx judges, by the last part of their name
TASK_API_NAMES = ("create_task", "ensure_future", "run_coroutine_threadsafe")
AWAITED_API_NAMES = ("gather", "shield")  # almost always awaited: `await x.gather(` is skipped


@dataclass(frozen=True)
class Trigger:
    """A file can matter to a family only if it holds one of ``words`` (and, when given, one
    of ``requires``); within it, only the lines holding a word that ``pattern`` matches."""

    words: tuple[str, ...]
    pattern: re.Pattern[str]
    requires: tuple[str, ...] = ()

    def may_apply(self, source: str) -> bool:
        return any(word in source for word in self.words) and (
            not self.requires or any(word in source for word in self.requires)
        )


def last_names(qualified_names: tuple[str, ...]) -> list[str]:
    return [name.rsplit(".", 1)[-1] for name in qualified_names]


@functools.lru_cache(maxsize=16)
def tasks(settings: Settings) -> Trigger:
    """TRK1xx: a task API call, or a user factory."""
    names = [*TASK_API_NAMES, *last_names(settings.task_factories)]
    awaited = "|".join(AWAITED_API_NAMES)
    pattern = re.compile(
        rf"\b(?:{'|'.join(map(re.escape, names))})\b"
        # `asyncio.Task` in an annotation (`Task[None]`, `Task | None`) is no task
        r"|\bTask\s*[(,)]"
        rf"|(?<!await )(?<!await asyncio\.)\b(?:{awaited})\b"
    )
    return Trigger((*names, "Task", *AWAITED_API_NAMES), pattern)


@functools.lru_cache(maxsize=16)
def callbacks(settings: Settings) -> Trigger:
    """TRK2xx: an entry-point call (``run(``, ``run_until_complete(``, an alias ``run as go``),
    in a file that registers callbacks or adds to a set. No leading ``\\b`` in the pattern, so
    that ``re`` can skip ahead to the literal."""
    registries = last_names(settings.callback_registries)
    return Trigger(
        ("run(", "run_until_complete", "run as"),
        re.compile(r"run(?:_until_complete)?\s*\(|run\s+as\b"),
        requires=("callback", ".add", *registries),
    )


@functools.lru_cache(maxsize=16)
def dispatch(settings: Settings) -> Trigger:
    """TRK3xx: the name of a callback base class."""
    bases = sorted(set(last_names((*CALLBACK_BASES, *settings.callback_bases))))
    # no leading \b: a literal first character lets `re` skip ahead (several times faster)
    return Trigger(tuple(bases), re.compile(rf"(?:{'|'.join(map(re.escape, bases))})\b"))


FAMILIES: tuple[Callable[[Settings], Trigger], ...] = (tasks, callbacks, dispatch)


def may_matter(source: str, settings: Settings) -> bool:
    """Whether any rule family could report anything on ``source``."""
    return any(trigger(settings).may_apply(source) for trigger in FAMILIES)
