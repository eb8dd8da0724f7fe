"""examples/litellm_8842.py, fixed: the class declares its dispatch mode and `main()` drains
LiteLLM's background callbacks before it returns, so the usage record is written.

    lint-rules check examples/litellm_8842_fixed.py   # clean
"""

import asyncio

import litellm
from litellm.integrations.custom_logger import CustomLogger
from litellm.litellm_core_utils.logging_worker import GLOBAL_LOGGING_WORKER
from litellm.responses.streaming_iterator import drain_logging_tasks


class UsageRecorder(CustomLogger):
    dispatch_mode = "fire_and_forget"  # runs in the background; drained before shutdown

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
    await asyncio.sleep(0.05)
    await drain_logging_tasks()
    await GLOBAL_LOGGING_WORKER.flush()


if __name__ == "__main__":
    asyncio.run(main())
