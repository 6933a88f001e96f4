"""`idphoto submit PHOTO --spec ID --server HOST:PORT -o OUT …`: the same photo as `idphoto make`, made by a
running mesh (`idphoto serve`) through its public gRPC API: upload, one job with finalize, a progress bar from
WatchJob, then the outputs downloaded from their URLs."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from edges.cli.verdict import REPORT_FAILED_EXIT, report_summary
from idphoto.errors import IdPhotoError

err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)
# share of the bar each state has reached when it starts, and the share its own progress fills
PHASES = {"QUEUED": (0.0, 0.0), "RUNNING": (0.0, 0.6), "PREVIEW_READY": (0.6, 0.0), "FINALIZING": (0.6, 0.4),
          "SUCCEEDED": (1.0, 0.0)}


def _fraction(state: str, progress: float) -> float:
    start, share = PHASES.get(state, (0.0, 0.0))
    return min(1.0, start + share * max(0.0, min(1.0, progress)))


def _follow(client, job_id: str, timeout_s: float):
    """Watch the job with a progress bar until it finishes; returns the final job snapshot."""
    from idphoto.client import settled, state_name

    with Progress(TextColumn("{task.description:<28}"), BarColumn(), TextColumn("{task.percentage:>3.0f}%"),
                  TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal) as progress:
        task = progress.add_task("queued", total=1.0)
        for event in client.watch(job_id, timeout_s=timeout_s):
            state = state_name(event.state)
            label = state.lower().replace("_", " ") + (f": {event.stage}" if event.stage else "")
            progress.update(task, description=label, completed=_fraction(state, event.progress))
            if event.HasField("job") and settled(event.job):
                break
    return client.wait(job_id, timeout_s=timeout_s)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _save_outputs(client, job, output: Path, sheet_output: Path | None, report_path: Path | None) -> list[str]:
    written = []
    photo = client.output(job, "photo")
    _write(output, client.download(photo))
    written.append(f"{output} ({photo.width_px}x{photo.height_px}, {photo.size_bytes // 1024} KB)")
    if sheet_output is not None:
        sheet = client.output(job, "sheet")
        _write(sheet_output, client.download(sheet))
        written.append(f"{sheet_output} ({sheet.width_px}x{sheet.height_px} sheet)")
    if report_path is not None:
        _write(report_path, client.download("report", job))
        written.append(f"{report_path} (report)")
    return written


def submit(
    photo: Path = typer.Argument(..., exists=True, dir_okay=False, help="the portrait to upload"),
    spec: str = typer.Option(..., "--spec", help="document spec id (see `idphoto specs`) or custom:WxHmm@DPI"),
    server: str = typer.Option("127.0.0.1:50050", "--server", help="the gateway's gRPC address (host:port)"),
    output: Path = typer.Option(..., "-o", "--output", help="where to write the photo"),
    background: str = typer.Option("", help="named colour, #hex, vertical:#a,#b or radial:#a,#b"),
    format: str | None = typer.Option(None, "--format", help="jpg or png (default: from the output name)"),
    max_kb: int | None = typer.Option(None, "--max-kb"),
    sheet: str = typer.Option("", "--sheet", help="print sheet paper: 4r, 5x7, a4, letter, custom:WxH (mm)"),
    sheet_output: Path | None = typer.Option(None, "--sheet-output"),
    report: Path | None = typer.Option(None, "--report", help="write the compliance report (JSON) here"),
    timeout: float = typer.Option(300.0, "--timeout", help="seconds to wait for the job"),
    allow_fail: bool = typer.Option(False, "--allow-fail", help="exit 0 even when the compliance report fails"),
) -> None:
    """Make an ID photo on a running mesh (`idphoto serve`)."""
    from idphoto.client import IdPhotoClient, raise_for_job

    fmt = (format or (output.suffix.lstrip(".") if output.suffix else "jpg")).lower().replace("jpeg", "jpg")
    if sheet and sheet_output is None:
        sheet_output = output.with_name(output.stem + "-sheet" + (output.suffix or "." + fmt))
    options = {"background": background, "format": fmt, "max_kb": max_kb, "sheet": sheet}
    try:
        with IdPhotoClient(server) as client:
            upload = client.upload(photo)
            job = client.create_job(spec, upload_id=upload.upload_id, options=options, finalize=True)
            job = raise_for_job(_follow(client, job.id, timeout))
            written = _save_outputs(client, job, output, sheet_output if sheet else None, report)
    except IdPhotoError as exc:
        err.print(f"error: {exc.code}: {exc.message}", markup=False)
        raise typer.Exit(2) from None
    out.print(f"job {job.id}: SUCCEEDED", markup=False)
    for line in written:
        out.print(f"  wrote {line}", markup=False)
    from idphoto.rpc.convert import struct_to_dict

    verdict = struct_to_dict(job.report, integral_to_int=True)
    out.print(report_summary(output, verdict), markup=False)
    if not verdict.get("pass") and not allow_fail:
        err.print(f"the compliance report FAILED; exit {REPORT_FAILED_EXIT} (--allow-fail to accept the photo anyway)",
                  markup=False)
        raise typer.Exit(REPORT_FAILED_EXIT)


def register(app: typer.Typer) -> None:
    app.command("submit")(submit)
