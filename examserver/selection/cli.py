"""``flask selection verify-announcement``: check an announcement's CSV against its signature."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from examserver.selection import bp, signing


@bp.cli.command("verify-announcement")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("signature_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--public-key",
    "public_key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="PEM public key (default: this server's announcement key).",
)
def verify_announcement(csv_file: Path, signature_file: Path, public_key: Path | None) -> None:
    """Exit 0 and print OK when SIGNATURE_FILE signs CSV_FILE byte for byte; exit 1 otherwise."""
    pem = public_key.read_bytes() if public_key else signing.public_key_pem()
    if signing.verify(pem, csv_file.read_bytes(), signature_file.read_bytes().strip()):
        click.echo("OK")
        return
    click.echo("INVALID: the file was changed or was not signed by this key", err=True)
    sys.exit(1)
