"""The command line. Commands are thin: parse options, call one function, render, choose the exit code.

Heavy imports (SQLAlchemy, pydantic, jsonschema) happen inside the commands that need them, so
that ``inclusive-check --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import click

from . import __version__

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INVALID = 0, 1, 2, 3
FORMATS = ("text", "json")


class DomainError(click.ClickException):
    """An error a user can cause: printed plainly, exit code 2 unless said otherwise."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _emit_json(payload: Any) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


def _exit(code: int) -> NoReturn:
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="inclusive-check")
@click.option("--db", "db_url", envvar="INCLUSIVE_CHECK_DATABASE_URL", metavar="URL",
              help="Database URL (default: sqlite file ./inclusive-check.db; env INCLUSIVE_CHECK_DATABASE_URL). "
                   "PostgreSQL: postgresql+psycopg://user@host/db")
@click.pass_context
def cli(ctx: click.Context, db_url: str | None) -> None:
    """Check insurer submissions and product filings against the 2024 NFRA inclusive-insurance guidance.

    Exit codes: 0 nothing at or above --fail-on; 1 findings at or above it; 2 usage error; 3 invalid input.
    """
    ctx.obj = {"db_url": db_url}


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--max-file-mib", type=click.IntRange(1, 4096), default=64, show_default=True,
              help="Reject files larger than this instead of loading them.")
def validate(paths: tuple[str, ...], fmt: str, max_file_mib: int) -> None:
    """Validate submission and product-filing documents (JSON or YAML files, or folders of them)."""
    from .contract.load import expand_paths, load_file

    results = [load_file(path, max_file_mib * 2**20) for path in expand_paths(paths)]
    if not results:
        raise DomainError("no .json, .yaml or .yml documents found in the given paths")
    invalid = [r for r in results if not r.ok]
    if fmt == "json":
        _emit_json({
            "valid": len(results) - len(invalid),
            "invalid": len(invalid),
            "files": [{"file": r.source, "valid": r.ok, "sha256": r.sha256 if r.raw else None,
                       "problems": [p.as_dict() for p in r.problems]} for r in results],
        })
    else:
        for r in results:
            if r.ok:
                click.echo(f"ok       {r.source}")
            for p in r.problems:
                click.echo(f"{p.where()}: {p.pointer or '(document)'}: {p.message}")
        problems = sum(len(r.problems) for r in invalid)
        click.echo(f"{len(results)} file(s): {len(results) - len(invalid)} valid, {len(invalid)} invalid"
                   + (f" ({problems} problem(s))" if problems else ""))
    _exit(EXIT_INVALID if invalid else EXIT_OK)


@cli.command()
@click.argument("kind", type=click.Choice(["submission", "product_filing"]))
def schema(kind: str) -> None:
    """Print the published JSON Schema (draft 2020-12) of a document kind."""
    from .contract.load import schema_text

    click.echo(schema_text(kind), nl=False)


def main() -> None:
    cli(prog_name="inclusive-check")
