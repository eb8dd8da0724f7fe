"""The shape of LiteLLM issue #8842: an async success callback in a short-lived script.

`asyncio.run()` cancels every task still pending when `main()` returns, and LiteLLM runs
`async_log_success_event` in the background: unless `main()` drains LiteLLM's callbacks
before it returns, the usage record below is never written.

examples/litellm_8842_fixed.py is exactly what the codemod makes of this file:

    lint-rules check examples/litellm_8842.py   # TRK301 on the class, TRK201 on asyncio.run
    lint-rules fix --declare-dispatch-mode=fire_and_forget --drain examples/litellm_8842.py
"""

import asyncio

import litellm
from litellm.integrations.custom_logger import CustomLogger
from litellm.litellm_core_utils.logging_worker import GLOBAL_LOGGING_WORKER
from litellm.responses.streaming_iterator import drain_logging_tasks
from typing import Any, Awaitable


async def _drained(main: "Awaitable[Any]") -> Any:
    """Await ``main``, then wait up to 5.0 seconds for each drain of what it left
    running; asyncio.run cancels what still runs after that (lint-rules fix --drain)."""
    result = await main
    try:
        await asyncio.wait_for(drain_logging_tasks(), timeout=5.0)
    except asyncio.TimeoutError:
        pass
    try:
        await asyncio.wait_for(GLOBAL_LOGGING_WORKER.flush(), timeout=5.0)
    except asyncio.TimeoutError:
        pass
    return result


class UsageRecorder(CustomLogger):
    dispatch_mode = "fire_and_forget"

    async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):
        await asyncio.sleep(0.2)  # e.g. an HTTP call to a billing service
        print(f"recorded usage for {kwargs['model']}")


litellm.callbacks.append(UsageRecorder())


async def main():
    response = await litellm.acompletion(
        model="openai/gpt-4o-mini",
        messages=[{"role": "user", "content": "Say hello"}],
        mock_response="Hello!",  # offline: no API key needed
    )
    print(response.choices[0].message.content)
    await asyncio.sleep(0.05)  # the callback is running now


if __name__ == "__main__":
    asyncio.run(_drained(main()))
