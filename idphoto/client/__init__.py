"""Synchronous Python client for the public idphoto API (the gateway's IdPhotoService).

    from idphoto.client import IdPhotoClient, raise_for_job

    with IdPhotoClient("127.0.0.1:50050") as client:
        upload = client.upload("portrait.jpg")
        job = client.create_job("us-passport", upload_id=upload.upload_id, options={"background": "white"},
                                finalize=True)
        job = raise_for_job(client.wait(job.id))
        open("photo.jpg", "wb").write(client.download("photo", job))
"""

from idphoto.client.convert import TERMINAL, job_error, job_state, raise_for_job, render_options, settled, state_name
from idphoto.client.core import IdPhotoClient
from idphoto.client.retry import Backoff
from idphoto.client.webhooks import verify_webhook

__all__ = ["TERMINAL", "Backoff", "IdPhotoClient", "job_error", "job_state", "raise_for_job", "render_options",
           "settled", "state_name", "verify_webhook"]
