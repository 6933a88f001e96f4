"""`idphoto batch FILE --server HOST:PORT [--spec ID] [--out DIR]`: a batch on a running mesh from a CSV of image
URLs or a zip of photos; waits for it, prints the counts and the failed rows, and saves the results CSV and the
zip of photos. The API key comes from ``--api-key`` or ``IDPHOTO_API_KEY``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from idphoto.errors import IdPhotoError

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)
NAMES = {"results_csv": "results.csv", "archive": "photos.zip"}


def _report(client, batch, out_dir: Path | None) -> None:
    from idphoto.v1 import batch_pb2

    state = batch_pb2.BatchState.Name(batch.state)
    out.print(f"batch {batch.id}: {state} — {batch.succeeded} succeeded, {batch.failed} failed, "
              f"{batch.cancelled} cancelled of {batch.total}", markup=False)
    for item in client.batch_items(batch.id):
        if item.status == "failed":
            label = item.external_id or item.image_url or f"item {item.index}"
            out.print(f"  row {item.row}: {label}: {item.error.code}: {item.error.message}", markup=False)
    if out_dir is None:
        return
    out_dir.mkdir(parents=True, exist_ok=True)
    for output in batch.outputs:
        path = out_dir / NAMES.get(output.kind, output.kind)
        path.write_bytes(client.download(output))
        out.print(f"  wrote {path} ({output.size_bytes // 1024} KB)", markup=False)


def batch(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="a CSV (image_url,spec_id,…) or a zip"),
    server: str = typer.Option("127.0.0.1:50050", "--server", help="the gateway's gRPC address (host:port)"),
    spec: str = typer.Option("", "--spec", help="default document spec (required for a zip)"),
    background: str = typer.Option("", help="default background of every item"),
    webhook_url: str = typer.Option("", "--webhook-url", help="receives batch.completed (signed)"),
    api_key: str | None = typer.Option(None, "--api-key", help="API key (default: IDPHOTO_API_KEY)"),
    out_dir: Path | None = typer.Option(None, "--out", help="save results.csv and photos.zip here"),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="wait for the batch to end"),
    timeout: float = typer.Option(3600.0, "--timeout", help="seconds to wait for the batch"),
) -> None:
    """Run a batch on a running mesh (`idphoto serve`)."""
    from idphoto.client import IdPhotoClient

    try:
        with IdPhotoClient(server, api_key=api_key) as client:
            created = client.create_batch(file, spec_id=spec, options={"background": background},
                                          webhook_url=webhook_url)
            if not wait:
                out.print(f"batch {created.id}: {created.total} items", markup=False)
                return
            _report(client, client.wait_batch(created.id, timeout_s=timeout), out_dir)
    except IdPhotoError as exc:
        err.print(f"error: {exc.code}: {exc.message}", markup=False)
        rows = exc.details.get("errors")
        for row in (rows if isinstance(rows, list) else [])[:20]:       # BATCH_INVALID: the first row errors
            err.print(f"  row {row.get('row')} {row.get('column')}: {row.get('code')}: {row.get('message')}",
                      markup=False)
        raise typer.Exit(2) from None


def register(app: typer.Typer) -> None:
    app.command("batch")(batch)
