"""``python -m services.gateway.worker``: one worker process (IDPHOTO_WORKER_*, plus the gateway's
IDPHOTO_GATEWAY_* targets, IDPHOTO_JOBS_* and IDPHOTO_STORAGE_*). SIGTERM finishes the current item, then exits."""

from __future__ import annotations

import json
import signal
import sys
import threading
from functools import partial

from idphoto.config import load_config
from idphoto.errors import ConfigError
from idphoto.log import configure_logging, get_logger
from services.gateway.config import WorkerConfig
from services.gateway.outbound.fetch import fetch_image
from services.gateway.wiring import ExtraConfigs, build_parts, load_configs
from services.gateway.worker.chores import start_background
from services.gateway.worker.loop import Worker
from services.gateway.worker.rpc_bridge import rpc_clients

log = get_logger("idphoto.worker")


def main() -> int:
    try:
        config, jobs_config, storage_config = load_configs()
        worker_config = load_config(WorkerConfig, "WORKER")
        extra = ExtraConfigs.load(worker=True)
    except ConfigError as exc:
        print(f"{exc.code}: {exc.message}", file=sys.stderr)
        return 2
    configure_logging(worker_config.log_level)
    parts = build_parts(config, jobs_config, storage_config, extra)
    clients, loop = rpc_clients(config.face_targets, config.matting_targets, config.compose_targets,
                                config.rpc_timeout_s, config.max_message_mb)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    consumer = worker_config.consumer_name()
    fetch = partial(fetch_image, config=parts.extra.fetch)
    workers = [Worker(parts.core.jobs, parts.core.queue, parts.core.store, clients, f"{consumer}-{i}",
                      worker_config.stage_a_deadline_s, worker_config.stage_b_deadline_s, fetch=fetch,
                      uploads=parts.core.uploads)
               for i in range(worker_config.threads)]
    threads = [threading.Thread(target=w.run_forever, args=(stop,), name=w.consumer) for w in workers]
    for thread in threads:
        thread.start()
    if worker_config.background:
        threads += start_background(parts, consumer, stop, worker_config.janitor_interval_s)
    print(json.dumps({"service": "worker", "consumer": consumer, "threads": len(threads)}), flush=True)
    log.info("worker started", consumer=consumer, threads=len(threads))
    while not stop.wait(0.5):
        pass
    for thread in threads:
        thread.join()
    loop.close()
    log.info("worker stopped", consumer=consumer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
