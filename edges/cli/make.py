"""`idphoto make INPUT --spec ID -o OUTPUT …`: one photo, or a directory of photos with a progress bar."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import Progress

from edges.cli.verdict import REPORT_FAILED_EXIT
from edges.cli.verdict import report_summary as _summary
from idphoto.domain.types import RenderOptions
from idphoto.errors import IdPhotoError, as_idphoto_error

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".tif", ".tiff", ".bmp"}
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False)


def _write_outputs(run, output: Path, sheet_output: Path | None, report_path: Path | None) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(run.result.photo_bytes)
    if sheet_output is not None and run.result.sheet_bytes is not None:
        sheet_output.parent.mkdir(parents=True, exist_ok=True)
        sheet_output.write_bytes(run.result.sheet_bytes)
    if report_path is not None:
        report_path.parent.mkdir(parents=True, exist_ok=True)
        report_path.write_text(json.dumps(run.result.report, indent=2))


def _make_one(source: Path, spec, options: RenderOptions, clients, output: Path,
              sheet_output: Path | None, report_path: Path | None):
    from idphoto.pipeline.run import make_id_photo

    run = make_id_photo(source.read_bytes(), spec, options, clients)
    _write_outputs(run, output, sheet_output, report_path)
    return run


def _make_directory(source: Path, spec, options: RenderOptions, clients, output: Path, fmt: str,
                    allow_fail: bool) -> int:
    files = sorted(p for p in source.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    failures: list[tuple[Path, IdPhotoError]] = []
    failed_reports: list[Path] = []
    with Progress(console=err) as progress:
        task = progress.add_task("making photos", total=len(files))
        for path in files:
            stem = output / path.stem
            sheet = stem.with_name(stem.name + "-sheet." + fmt) if options.sheet else None
            try:
                run = _make_one(path, spec, options, clients, stem.with_suffix("." + fmt), sheet,
                                stem.with_name(stem.name + "-report.json"))
                if not run.result.report.get("pass"):
                    failed_reports.append(path)
            except Exception as exc:  # noqa: BLE001 - one failure never stops the rest
                failures.append((path, as_idphoto_error(exc)))
            progress.advance(task)
    out.print(f"{len(files) - len(failures)} of {len(files)} photos made in {output}")
    for path, exc in failures:
        out.print(f"  failed {path.name}: {exc.code}: {exc.message}")
    for path in failed_reports:
        out.print(f"  report FAIL {path.name} (see its -report.json)")
    if failures:
        return 1
    return REPORT_FAILED_EXIT if failed_reports and not allow_fail else 0


def make(
    input: Path = typer.Argument(..., exists=True, help="a photo, or a directory of photos"),
    spec: str = typer.Option(..., "--spec", help="document spec id (see `idphoto specs`) or custom:WxHmm@DPI"),
    output: Path = typer.Option(..., "-o", "--output", help="output file (or directory when INPUT is one)"),
    background: str = typer.Option("", help="named colour, #hex, vertical:#a,#b or radial:#a,#b"),
    brightness: float = typer.Option(0.0), contrast: float = typer.Option(0.0),
    saturation: float = typer.Option(0.0), sharpen: float = typer.Option(0.0),
    format: str | None = typer.Option(None, "--format", help="jpg or png (default: from the output name)"),
    max_kb: int | None = typer.Option(None, "--max-kb"),
    sheet: str = typer.Option("", "--sheet", help="print sheet paper: 4r, 5x7, a4, letter, custom:WxH (mm)"),
    sheet_output: Path | None = typer.Option(None, "--sheet-output"),
    report: Path | None = typer.Option(None, "--report", help="write the compliance report (JSON) here"),
    allow_fail: bool = typer.Option(False, "--allow-fail",
                                    help="exit 0 even when the compliance report fails (the photo is written anyway)"),
) -> None:
    """Make an ID photo to a document spec."""
    from edges.inprocess import local_clients
    from idphoto.domain.specs import parse_spec

    fmt = (format or (output.suffix.lstrip(".") if output.suffix else "jpg")).lower().replace("jpeg", "jpg")
    options = RenderOptions(background=background, brightness=brightness, contrast=contrast,
                            saturation=saturation, sharpness=sharpen, format=fmt, max_kb=max_kb, sheet=sheet)
    try:
        document = parse_spec(spec)
        clients = local_clients()
        if input.is_dir():
            raise typer.Exit(_make_directory(input, document, options, clients, output, fmt, allow_fail))
        if sheet and sheet_output is None:
            sheet_output = output.with_name(output.stem + "-sheet" + output.suffix)
        run = _make_one(input, document, options, clients, output, sheet_output, report)
    except IdPhotoError as exc:
        err.print(f"error: {exc.code}: {exc.message}")
        raise typer.Exit(2) from None
    out.print(_summary(output, run.result.report))
    if not run.result.report.get("pass") and not allow_fail:
        err.print(f"the compliance report FAILED; exit {REPORT_FAILED_EXIT} (--allow-fail to accept the photo anyway)")
        raise typer.Exit(REPORT_FAILED_EXIT)


def register(app: typer.Typer) -> None:
    app.command("make")(make)
