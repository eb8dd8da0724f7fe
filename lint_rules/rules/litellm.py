"""What the rules know about LiteLLM (1.110.2), in one place: its callback base classes, the
registries whose async entries it runs in the background, the hooks it schedules that way,
and the calls that drain them. Other libraries are configured with the ``--trk-callback-*``
and ``--trk-drain-calls`` options instead."""

from __future__ import annotations

# CustomLogger under both import paths, and the subclasses LiteLLM itself derives from in
# other modules: a user class deriving from any of them is a CustomLogger subclass without
# LiteLLM's source being read.
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
# CustomLogger's async hooks are all named async_*, except these three.
UNPREFIXED_HOOKS = frozenset(
    {"log_model_group_rate_limit_error", "log_success_fallback_event", "log_failure_fallback_event"}
)
# The module lists whose async entries run in the background (the failure lists,
# `failure_callback` and `_async_failure_callback`, are awaited before the call raises).
REGISTRIES = (
    "litellm.callbacks",
    "litellm.success_callback",
    "litellm.input_callback",
    "litellm.service_callback",
    "litellm.audit_log_callbacks",
    "litellm._async_success_callback",
    "litellm._async_input_callback",
)
MANAGER = "litellm.logging_callback_manager.add_litellm_"  # its add_litellm_*() methods
ROUTERS = frozenset({"litellm.Router", "litellm.router.Router"})
PER_CALL_KEYWORDS = frozenset({"callbacks", "success_callback"})
# The CustomLogger hooks scheduled in the background (the success handler through the logging
# worker, the audit log through create_task); the others are awaited inline.
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
DRAINS = (
    ("litellm.responses.streaming_iterator", "drain_logging_tasks"),
    ("litellm.litellm_core_utils.logging_worker", "GLOBAL_LOGGING_WORKER.flush"),
)
BATCH_DRAIN_METHOD = "flush_queue"  # CustomBatchLogger.flush_queue(), whatever the receiver
