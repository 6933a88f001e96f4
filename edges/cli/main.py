"""The `idphoto` command line."""

from __future__ import annotations

import typer

from edges.cli import models as models_cli

app = typer.Typer(help="ID photos to official document specs.", no_args_is_help=True, add_completion=False)
app.add_typer(models_cli.app, name="models")


def _register_optional() -> None:
    """Commands whose modules land separately register themselves here."""
    from edges.cli import make as make_cli
    from edges.cli import specs as specs_cli
    make_cli.register(app)
    specs_cli.register(app)
    from edges.cli import serve as serve_cli
    from edges.cli import submit as submit_cli
    serve_cli.register(app)
    submit_cli.register(app)
    from edges.cli import batch as batch_cli
    from edges.cli import keys as keys_cli
    keys_cli.register(app)
    batch_cli.register(app)


try:
    _register_optional()
except ImportError:  # pragma: no cover - only while a command module is absent
    pass

if __name__ == "__main__":
    app()
