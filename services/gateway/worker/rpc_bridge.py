"""The worker's synchronous view of the async gRPC clients: one event loop in a background thread owns the
channels; each call is submitted to it and waited for. This keeps one orchestration path (the synchronous
pipeline) for both the in-process CLI and the mesh."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any

from idphoto.pipeline.run import Clients
from idphoto.rpc.client import ComposeRpcClient, FaceRpcClient, MattingRpcClient, channel


class LoopThread:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="rpc-loop", daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)


class _Sync:
    def __init__(self, loop: LoopThread, client) -> None:
        self._loop, self._client = loop, client


class SyncFace(_Sync):
    def analyze(self, rgb):
        return self._loop.run(self._client.analyze(rgb))


class SyncMatting(_Sync):
    def matte(self, rgb):
        return self._loop.run(self._client.matte(rgb))


class SyncCompose(_Sync):
    def render(self, cutout, spec, options):
        return self._loop.run(self._client.render(cutout, spec, options, include_photo_rgb=True))


def rpc_clients(face: tuple[str, ...], matting: tuple[str, ...], compose: tuple[str, ...],
                timeout_s: float, max_message_mb: int = 64) -> tuple[Clients, LoopThread]:
    loop = LoopThread()

    async def build():
        return (FaceRpcClient(channel(list(face), max_message_mb), timeout_s),
                MattingRpcClient(channel(list(matting), max_message_mb), timeout_s),
                ComposeRpcClient(channel(list(compose), max_message_mb), timeout_s))

    f, m, c = loop.run(build())
    return Clients(face=SyncFace(loop, f), matting=SyncMatting(loop, m), compose=SyncCompose(loop, c)), loop
