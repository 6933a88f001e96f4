"""`make bench` (second part): the mesh against the in-process pipeline, measured in one run.

Prints: the same photo in-process vs through the full mesh (p50/p95 and the ratio), Stage B / Stage A through the
mesh, throughput with 1/2/4/8 concurrent clients and of one CSV batch of image URLs, and raw-tensor vs PNG
transport of the pixels that travel between services. Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from edges.inprocess import local_clients
from edges.sample import sample_portrait
from edges.serve.supervisor import Mesh, MeshOptions
from idphoto.client import IdPhotoClient
from idphoto.domain.specs import get_spec
from idphoto.domain.types import RenderOptions
from idphoto.pipeline.run import make_id_photo
from idphoto.rpc.tensor import from_tensor, to_tensor
from idphoto.v1 import common_pb2


def _jpeg(side: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(sample_portrait(side)).save(buf, format="JPEG", quality=92)
    return buf.getvalue()


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000.0, q))


def in_process(data: bytes, repeats: int) -> list[float]:
    clients = local_clients()
    spec = get_spec("us-passport")
    make_id_photo(data, spec, RenderOptions(), clients)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        make_id_photo(data, spec, RenderOptions(), clients)
        times.append(time.perf_counter() - start)
    return times


def through_mesh(client: IdPhotoClient, data: bytes, repeats: int) -> tuple[list[float], list[float], list[float]]:
    """Wall times per run: the whole photo in one call (CreateJob with finalize, as in-process does it), then the
    two-step flow's Stage A (to PREVIEW_READY, preview included) and a Stage B re-render (FinalizeJob)."""
    whole, stage_a, stage_b = [], [], []
    for _ in range(repeats + 1):
        start = time.perf_counter()
        job = client.create_job("us-passport", image=data, finalize=True)
        client.wait(job.id, {"JOB_STATE_SUCCEEDED"})
        whole.append(time.perf_counter() - start)
        start = time.perf_counter()
        job = client.create_job("us-passport", image=data)
        client.wait(job.id, {"JOB_STATE_PREVIEW_READY"})
        mid = time.perf_counter()
        client.finalize(job.id, {"background": "blue"})
        client.wait(job.id, {"JOB_STATE_SUCCEEDED"})
        stage_a.append(mid - start)
        stage_b.append(time.perf_counter() - mid)
    return whole[1:], stage_a[1:], stage_b[1:]


def throughput(client: IdPhotoClient, data: bytes, clients: int, jobs_each: int) -> float:
    def run() -> None:
        for _ in range(jobs_each):
            job = client.create_job("us-passport", image=data, finalize=True)
            client.wait(job.id, {"JOB_STATE_SUCCEEDED"})

    threads = [threading.Thread(target=run) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return clients * jobs_each / (time.perf_counter() - start)


def transport(side: int = 1200, repeats: int = 20) -> tuple[float, float]:
    """ms to ship a region (RGB) and its matte (alpha + foreground) one way: raw tensors vs PNG."""
    rgb = cv2.resize(sample_portrait(512), (side, int(side * 1.25)))
    alpha = (cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) / 255.0).astype(np.float32)

    def raw() -> None:
        for array in (rgb, alpha, rgb):
            message = common_pb2.Tensor.FromString(to_tensor(array).SerializeToString())
            from_tensor(message)

    def png() -> None:
        for array in (rgb, (alpha * 65535).astype(np.uint16), rgb):
            _, encoded = cv2.imencode(".png", array)
            cv2.imdecode(encoded, cv2.IMREAD_UNCHANGED)

    out = []
    for fn in (raw, png):
        fn()
        start = time.perf_counter()
        for _ in range(repeats):
            fn()
        out.append((time.perf_counter() - start) / repeats * 1000.0)
    return out[0], out[1]


class QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def batch_rate(client: IdPhotoClient, data: bytes, items: int) -> float:
    """Items per second of one CSV batch of ``items`` URLs served from loopback (fetch, Stage A + B, archive)."""
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "p.jpg").write_bytes(data)
        server = ThreadingHTTPServer(("127.0.0.1", 0), partial(QuietFiles, directory=folder))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_address[1]}"
        table = "image_url,spec_id\n" + "".join(f"{base}/p.jpg,us-passport\n" for _ in range(items))
        try:
            start = time.perf_counter()
            batch = client.wait_batch(client.create_batch(table.encode()).id, timeout_s=600)
            elapsed = time.perf_counter() - start
        finally:
            server.shutdown()
    if batch.succeeded != items:
        raise SystemExit(f"bench batch ended {batch.state} with {batch.succeeded}/{items} succeeded")
    return items / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=8)
    parser.add_argument("--jobs-each", type=int, default=2)
    parser.add_argument("--batch-items", type=int, default=16)
    args = parser.parse_args()
    big, small = _jpeg(3464), _jpeg(720)
    local = in_process(big, args.repeats)
    with tempfile.TemporaryDirectory() as tmp:
        mesh = Mesh(MeshOptions(grpc_port=0, http_port=0, data_dir=Path(tmp), gateway_workers=2, log_level="WARNING",
                                env={"IDPHOTO_FETCH_ALLOW_NETWORKS": "127.0.0.1/32"}))
        endpoints = mesh.start()
        try:
            client = IdPhotoClient(endpoints.grpc_target, timeout_s=120)
            whole, stage_a, stage_b = through_mesh(client, big, args.repeats)
            rates = {c: throughput(client, small, c, args.jobs_each) for c in (1, 2, 4, 8)}
            batch = batch_rate(client, small, args.batch_items)
        finally:
            mesh.stop()
    raw_ms, png_ms = transport()
    print("\n== the 12 MP sample, whole photo (Stage A + Stage B), ms")
    print(f"  in-process   p50 {_pct(local, 50):8.1f}   p95 {_pct(local, 95):8.1f}")
    print(f"  full mesh    p50 {_pct(whole, 50):8.1f}   p95 {_pct(whole, 95):8.1f}"
          f"   (mesh / in-process p50 = {statistics.median(whole) / statistics.median(local):.2f})")
    print(f"  mesh Stage A (incl. preview) p50 {_pct(stage_a, 50):.1f}, Stage B p50 {_pct(stage_b, 50):.1f}"
          f"   (Stage B / Stage A = {statistics.median(stage_b) / statistics.median(stage_a):.3f})")
    print("\n== throughput, 0.5 MP sample, 2 worker processes (jobs/s)")
    for c, rate in rates.items():
        print(f"  {c} concurrent clients: {rate:.2f}")
    print(f"  one CSV batch of {args.batch_items} image URLs: {batch:.2f} items/s"
          f" (batch / 4 concurrent clients = {batch / rates[4]:.2f})")
    print(f"\n== transport of a 1200x1500 region + matte, one way: raw tensor {raw_ms:.1f} ms, PNG {png_ms:.1f} ms"
          f" (PNG / raw = {png_ms / raw_ms:.1f})")


if __name__ == "__main__":
    main()
