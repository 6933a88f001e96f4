"""`idphoto specs [--country X] [--json]`."""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table


def specs(country: str | None = typer.Option(None, help="country id or name, e.g. us, germany"),
          as_json: bool = typer.Option(False, "--json", help="one JSON document on stdout")) -> None:
    """List document specs."""
    from idphoto.domain.specs import list_specs

    found = list_specs(country)
    if as_json:
        typer.echo(json.dumps([s.to_dict() for s in found], indent=2))
        return
    table = Table("id", "country", "document", "size mm", "px", "dpi", "head mm", "geometry")
    for s in found:
        table.add_row(s.id, s.country_name, s.document, f"{s.width_mm:g}×{s.height_mm:g}",
                      f"{s.width_px}×{s.height_px}", str(s.dpi), f"{s.head_min_mm:g}–{s.head_max_mm:g}", s.geometry)
    Console().print(table)
    Console(stderr=True).print(f"{len(found)} specs")


def register(app: typer.Typer) -> None:
    app.command("specs")(specs)
