"""Gateway core + worker on real Redis and a local object store, with in-process model clients."""

import io
import threading

import numpy as np
import pytest
from PIL import Image

from idphoto.domain.types import RenderOptions
from idphoto.errors import InvalidStateError, SpecNotFoundError
from services.gateway.core.service import GatewayCore, GatewayLimits
from services.gateway.jobs.model import JobState
from services.gateway.storage.uploads import UploadStore
from services.gateway.worker.loop import Worker
from tests.support.images import astronaut_bytes

TENANT = "acme"


@pytest.fixture
def core(job_store, work_queue, redis_client, local_store, key_prefix):
    uploads = UploadStore(redis_client, local_store, retention_s=3600, prefix=key_prefix)
    return GatewayCore(job_store, work_queue, uploads, local_store, GatewayLimits(watch_poll_ms=100))


@pytest.fixture
def worker(core, clients):
    return Worker(core.jobs, core.queue, core.store, clients, consumer="w1")


class CountingClients:
    """Counts model calls made through the clients (Stage B must make none)."""

    def __init__(self, clients):
        self.inner = clients

    def calls(self) -> int:
        return self.inner.face.core.calls + self.inner.matting.model.calls


def _states(core, job_id):
    return [event.state for event, _ in core.watch(TENANT, job_id)]


def test_stage_a_then_two_renders_without_model_calls(core, worker, clients):
    upload = core.upload(TENANT, [astronaut_bytes("PNG")], "sample.png")
    job = core.create_job(TENANT, "us-passport", RenderOptions(), upload_id=upload.id)
    assert worker.run_once()
    job = core.get_job(TENANT, job.id)
    assert job.state == JobState.PREVIEW_READY
    assert {o["kind"] for o in job.outputs} == {"preview", "cutout"}
    counter = CountingClients(clients)
    before = counter.calls()
    for background, fmt in (("blue", "jpg"), ("#ff0000", "png")):
        core.finalize_job(TENANT, job.id, RenderOptions(background=background, format=fmt, sheet="4r"))
        assert worker.run_once()
        done = core.get_job(TENANT, job.id)
        assert done.state == JobState.SUCCEEDED
    assert counter.calls() == before                    # Stage B ran no model
    kinds = sorted(o["kind"] for o in done.outputs)
    assert kinds == ["cutout", "photo", "preview", "report", "sheet"]
    photo = next(o for o in done.outputs if o["kind"] == "photo")
    assert photo["key"].endswith("photo.png") and not core.store.exists(photo["key"][:-3] + "jpg")
    img = Image.open(io.BytesIO(core.store.get(photo["key"])))
    assert img.size == (600, 600)
    assert np.allclose(np.asarray(img.convert("RGB"))[2, 2], (255, 0, 0), atol=2)


def test_watch_sees_the_states_in_order_and_resumes(core, worker):
    job = core.create_job(TENANT, "us-passport", RenderOptions(), image=astronaut_bytes("JPEG"), finalize=True)
    worker.run_once()
    events = list(core.watch(TENANT, job.id))
    states = [e.state for e, _ in events]
    order = [JobState.QUEUED, JobState.RUNNING, JobState.PREVIEW_READY, JobState.FINALIZING, JobState.SUCCEEDED]
    assert [s for i, s in enumerate(states) if i == 0 or s != states[i - 1]] == order
    middle = events[len(events) // 2][0].id
    resumed = [e.id for e, _ in core.watch(TENANT, job.id, middle)]
    assert resumed == [e.id for e, _ in events][len(events) // 2 + 1:]


def test_bad_image_fails_the_job_with_its_typed_code(core, worker):
    from tests.support.variants import truncated_jpeg

    job = core.create_job(TENANT, "us-passport", RenderOptions(), image=truncated_jpeg())
    worker.run_once()
    job = core.get_job(TENANT, job.id)
    assert job.state == JobState.FAILED and job.error_code == "INVALID_IMAGE"


def test_unknown_spec_is_refused_before_queueing(core):
    with pytest.raises(SpecNotFoundError):
        core.create_job(TENANT, "atlantis-passport", RenderOptions(), image=astronaut_bytes("JPEG"))
    assert core.queue.pending_count() == 0


def test_idempotency_key_maps_to_one_job(core):
    a = core.create_job(TENANT, "us-passport", RenderOptions(), image=astronaut_bytes("JPEG"), idempotency_key="k")
    b = core.create_job(TENANT, "us-passport", RenderOptions(), image=astronaut_bytes("JPEG"), idempotency_key="k")
    assert a.id == b.id


def test_option_error_on_finalize_keeps_the_preview(core, worker):
    job = core.create_job(TENANT, "us-passport", RenderOptions(), image=astronaut_bytes("JPEG"))
    worker.run_once()
    core.finalize_job(TENANT, job.id, RenderOptions(max_kb=1))
    worker.run_once()
    job = core.get_job(TENANT, job.id)
    assert job.state == JobState.PREVIEW_READY and job.error_code == "OUTPUT_TOO_LARGE"
    states = [event.state for event, _ in core.watch(TENANT, job.id)]     # ends: nothing more will happen
    assert states[-1] == JobState.PREVIEW_READY


def test_a_refused_render_ends_the_watch_of_a_finalize_job(core, worker):
    job = core.create_job(TENANT, "us-passport", RenderOptions(max_kb=1), image=astronaut_bytes("JPEG"),
                          finalize=True)
    worker.run_once()
    events = list(core.watch(TENANT, job.id))
    assert events[-1][0].state == JobState.PREVIEW_READY and events[-1][1].error_code == "OUTPUT_TOO_LARGE"


def test_cancel_at_the_next_stage_boundary(core, worker):
    job = core.create_job(TENANT, "us-passport", RenderOptions(), image=astronaut_bytes("JPEG"))
    core.jobs.transition(job.id, JobState.RUNNING)         # as if a worker held it
    core.cancel_job(TENANT, job.id)
    core.jobs.transition(job.id, JobState.QUEUED)
    worker.run_once()
    assert core.get_job(TENANT, job.id).state == JobState.CANCELLED
    with pytest.raises(InvalidStateError):
        core.finalize_job(TENANT, job.id, RenderOptions())


def test_a_reclaimed_item_produces_one_set_of_outputs(core, worker, clients):
    job = core.create_job(TENANT, "us-passport", RenderOptions(), image=astronaut_bytes("JPEG"), finalize=True)
    [item] = core.queue.claim("dead-worker", count=1)      # a worker takes it and dies without acking
    import time

    time.sleep(0.3)                                         # past the visibility timeout (0.2 s in tests)
    assert worker.run_once()
    job = core.get_job(TENANT, job.id)
    assert job.state == JobState.SUCCEEDED
    kinds = sorted(o["kind"] for o in job.outputs)
    assert kinds == ["cutout", "photo", "report"]             # a finalize job needs no preview
    prefix = job.outputs[0]["key"].rsplit("/", 1)[0]
    assert sorted(k.rsplit("/", 1)[1] for k in core.store.list(prefix)) == sorted(
        ["cutout.npz", "cutout.png", "photo.jpg", "report.json"])
    assert item.job_id == job.id


def test_a_redis_outage_does_not_kill_the_worker_loop(core, clients, monkeypatch):
    import redis as redis_lib

    worker = Worker(core.jobs, core.queue, core.store, clients, "flaky")
    calls = {"n": 0}
    stop = threading.Event()

    def flaky(block_ms=0):
        calls["n"] += 1
        if calls["n"] < 3:
            raise redis_lib.ConnectionError("connection refused")
        stop.set()
        return False

    monkeypatch.setattr(worker, "run_once", flaky)
    thread = threading.Thread(target=worker.run_forever, args=(stop, 10))
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive() and calls["n"] == 3


def test_cancel_of_a_finished_job_returns_it_unchanged(core, worker):
    job = core.create_job(TENANT, "us-passport", RenderOptions(), image=astronaut_bytes("JPEG"), finalize=True)
    worker.run_once()
    done = core.get_job(TENANT, job.id)
    assert core.cancel_job(TENANT, job.id).state == done.state == JobState.SUCCEEDED


def test_a_declared_upload_size_is_checked(core):
    from idphoto.errors import FileTooLargeError, InvalidOptionError

    data = astronaut_bytes("JPEG")
    assert core.upload(TENANT, [data], declared_size=len(data)).size_bytes == len(data)
    with pytest.raises(InvalidOptionError):
        core.upload(TENANT, [data[:1000]], declared_size=len(data))
    with pytest.raises(FileTooLargeError):
        core.upload(TENANT, iter(()), declared_size=core.limits.max_upload_bytes + 1)
