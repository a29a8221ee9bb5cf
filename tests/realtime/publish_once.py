"""Run as a separate process: publish one message on a bus, as the CLI scan or the variant
worker would (publish only), then report whether it started a listener.

Usage: python -m tests.realtime.publish_once KIND DATABASE_URL REDIS_URL DATA_DIR CHANNEL JSON
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from tonearm.db.engine import create_engine
from tonearm.pubsub.backends import build_bus


async def main(argv: list[str]) -> None:
    """Publish ``argv``'s message once and print whether a listener ran."""
    kind, database_url, redis_url, data_dir, channel, message = argv
    engine = create_engine(database_url)
    bus = build_bus(
        kind,
        engine=engine,
        database_url=database_url,
        redis_url=redis_url or None,
        data_dir=Path(data_dir),
    )
    try:
        await bus.publish(channel, json.loads(message))
        print(json.dumps({"listening": getattr(bus, "listening", False)}))
    finally:
        await bus.close()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
