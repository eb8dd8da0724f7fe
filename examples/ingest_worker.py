"""A small ingest worker with the asyncio mistakes that lose work silently.

`lint-rules check examples/` reports each one; `lint-rules fix --diff examples/` shows the
rewrite for those it can fix safely.
"""

import asyncio
import logging
import signal

log = logging.getLogger("ingest")


async def fetch(key: str) -> bytes:
    await asyncio.sleep(0.1)
    return key.encode()


async def store(record: bytes) -> None:
    await asyncio.sleep(0.1)


async def notify(user: str) -> None:
    await asyncio.sleep(0.1)


async def reload_settings() -> None:
    await asyncio.sleep(0.1)


class Ingestor:
    def __init__(self) -> None:
        self.loop = asyncio.get_running_loop()
        self.seen = 0

    def on_record(self, record: bytes) -> None:
        # called by a transport callback: the task is dropped as soon as it is created
        self.loop.create_task(store(record))
        self.seen += 1


async def refresh_cache(keys: list[str]) -> None:
    for key in keys:
        asyncio.create_task(fetch(key))


async def notify_all(users: list[str]) -> None:
    pending = set()
    for user in users:
        task = asyncio.create_task(notify(user))
        pending.add(task)
        task.add_done_callback(pending.discard)


async def heartbeat() -> None:
    while True:
        log.info("alive")
        await asyncio.sleep(30)


async def main() -> None:
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.create_task(reload_settings()))
    pulse = asyncio.create_task(heartbeat())
    pulse.add_done_callback(lambda _: log.warning("heartbeat stopped"))
    ingestor = Ingestor()
    ingestor.on_record(b"first")
    await refresh_cache(["a", "b"])
    await notify_all(["ana", "bo"])
    await asyncio.sleep(1)


if __name__ == "__main__":
    asyncio.run(main())
