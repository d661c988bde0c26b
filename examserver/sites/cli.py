"""``flask site``: on the centre, register test sites and export a sitting's sealed package for one
of them; on a site server, import the package and release it at the start
and write its results for the centre, which verifies and imports them (docs/operations/test-sites.md)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from examserver.delivery.models import ENDED
from examserver.errors import refusal_message
from examserver.extensions import db
from examserver.selection import signing
from examserver.sites import sealing, services
from examserver.sites.export import export_package
from examserver.sites.install import install_package, release
from examserver.sites.link import sync
from examserver.sites.models import SiteSealed
from examserver.sites.results import receive_results, signed_results, upload_name
from itembank.database import utcnow
from itembank.refusal import Refusal

site_cli = AppGroup("site", help="Test-site servers: sites and their sealed packages.")


def _refused(error: Refusal) -> click.ClickException:
    """The refusal in the operator's words (the app's default language), nothing changed."""
    db.session.rollback()
    with current_app.test_request_context():  # the message registry translates in a request
        return click.ClickException(refusal_message(error.code, **error.params))


@site_cli.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--address", default="", help="Where the site is (address or district).")
def add_command(code: str, name: str, address: str) -> None:
    """Register a test site under CODE (letters, digits and dashes), e.g. SMAN1-BUNGO."""
    try:
        site = services.register_site(db.session, code=code, name=name, address=address)
    except Refusal as error:
        raise _refused(error) from error
    db.session.commit()
    click.echo(f"site {site.code} registered")


@site_cli.command("export")
@click.option("--schedule", "schedule_code", required=True, help="The sitting's schedule code.")
@click.option("--site", "site_code", required=True, help="The site's code.")
@click.option("--proctor", "proctors", multiple=True, required=True, help="A proctor's e-mail (repeat for more).")
@click.option(
    "--candidates",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file of registration numbers, one per line (default: the next --seats unassigned).",
)
@click.option("--seats", type=click.IntRange(min=1, max=10_000), help="How many unassigned candidates to take.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The package file.")
@click.option(
    "--pins",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the PINs to print (default: the package's name with .pin.csv).",
)
def export_command(
    schedule_code: str,
    site_code: str,
    proctors: tuple[str, ...],
    candidates: Path | None,
    seats: int | None,
    out: Path,
    pins: Path | None,
) -> None:
    """Write the sealed package of a sitting for one site, and the exam-card PINs to print."""
    if (candidates is None) == (seats is None):
        raise click.UsageError("give either --candidates or --seats")
    numbers = candidates.read_text(encoding="utf-8").splitlines() if candidates else None
    try:
        exported = export_package(
            db.session,
            schedule_code=schedule_code,
            site_code=site_code,
            out=out,
            signing_key=signing.private_key(),
            now=utcnow(),
            proctor_emails=list(proctors),
            registration_numbers=numbers,
            seats=seats,
        )
    except Refusal as error:
        raise _refused(error) from error
    db.session.commit()
    pins = pins or out.with_suffix(".pin.csv")
    with current_app.test_request_context():  # the header in the app's default language
        pins.write_bytes(services.pin_csv(exported))
    pins.chmod(0o600)
    click.echo(
        f"package {exported.package.package_id} for site {exported.package.site.code}: "
        f"{len(exported.candidate_pins)} candidates, {len(exported.proctor_pins)} proctors -> {out}\n"
        f"PINs to print -> {pins} (keep it safe: the centre does not keep the PINs)"
    )


# ---------------------------------------------------------------------------------------- on a site


def _site_only() -> None:
    if current_app.config["EXAMSERVER_ROLE"] != "site":
        raise click.ClickException("this command runs on a site server (EXAMSERVER_ROLE=site)")


@site_cli.command("import")
@click.argument("package", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--centre-key",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The centre's public key (PEM); default: CENTRE_PUBLIC_KEY_FILE.",
)
@click.option(
    "--site-secret",
    prompt="Kode kunci lokasi (dari lembar PIN kepala pengawas)",
    hide_input=True,
    help="The site key's code printed for the head proctor with the PINs.",
)
def import_command(package: Path, centre_key: Path | None, site_secret: str) -> None:
    """Import the centre's package into this site's empty database (its content stays sealed)."""
    _site_only()
    site_code = current_app.config.get("SITE_CODE")
    key_file = centre_key or current_app.config.get("CENTRE_PUBLIC_KEY_FILE")
    if not site_code or not key_file:
        raise click.ClickException("set EXAMSERVER_SITE_CODE and CENTRE_PUBLIC_KEY_FILE (or --centre-key)")
    try:
        held, written = install_package(
            db.session,
            package.read_bytes(),
            centre_public_key_pem=Path(key_file).read_bytes(),
            site_code=site_code,
            site_secret=site_secret,
            now=utcnow(),
        )
    except Refusal as error:
        raise _refused(error) from error
    db.session.commit()
    sealed = db.session.scalar(select(func.count()).select_from(SiteSealed))
    if written:
        click.echo(f"package {held.package_id} imported for site {held.site_code}: {sealed} rows wait for the release")
    else:
        click.echo(f"package {held.package_id} was imported already: nothing changed")


@site_cli.command("release")
@click.argument("code")
def release_command(code: str) -> None:
    """Open the sealed content with the release CODE the centre published at the start."""
    _site_only()
    try:
        held, opened = release(db.session, code, now=utcnow())
    except Refusal as error:
        raise _refused(error) from error
    db.session.commit()
    if opened:
        click.echo(f"package {held.package_id} released: {opened} rows opened")
    else:
        click.echo(f"package {held.package_id} was released already at {held.released_at:%Y-%m-%d %H:%M} UTC")


@site_cli.command("upload")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The folder to write the signed results file to (a USB stick).",
)
def upload_command(out: Path) -> None:
    """Write every session of this site's package, signed with the site's key, for the centre."""
    _site_only()
    now = utcnow()
    try:
        body, data = signed_results(db.session, now=now)
    except Refusal as error:
        raise _refused(error) from error
    target = out / upload_name(body)
    sealing.write_atomically(target, data)
    ended = sum(1 for entry in body["sessions"] if entry["status"] in ENDED)
    click.echo(f"{len(body['sessions'])} sessions ({ended} ended) -> {target}")


@site_cli.command("receive")
@click.argument("results", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def receive_command(results: Path) -> None:
    """At the centre: verify a site's results file and import its ended sessions (once)."""
    if current_app.config["EXAMSERVER_ROLE"] != "centre":
        raise click.ClickException("this command runs at the centre")
    try:
        received = receive_results(db.session, results.read_bytes(), now=utcnow())
    except Refusal as error:
        raise _refused(error) from error
    db.session.commit()
    site = received.package.site.code
    if received.problems:
        for name, code, position, detail in received.problems:
            where = f" at chain position {position}" if position is not None else ""
            click.echo(f"{name}: {code}{where} {detail or ''}".rstrip(), err=True)
        raise click.ClickException(f"results of {site} refused: {len(received.problems)} problems; nothing imported")
    click.echo(
        f"results of {site}: {len(received.imported)} imported, {len(received.unchanged)} already imported, "
        f"{len(received.not_started)} not started, {len(received.running)} still running (upload again later), "
        f"{len(received.flagged)} flagged (also at the centre)"
    )


@site_cli.command("sync")
def sync_command() -> None:
    """Over a link to the centre (EXAMSERVER_CENTRE_URL): report, release at the opening with the
    centre's code, and send the results of sessions that ended since the last time. Run it every
    minute from a timer; without a link it says so and changes nothing."""
    _site_only()
    centre_url = current_app.config.get("CENTRE_URL")
    if not centre_url:
        raise click.ClickException("set EXAMSERVER_CENTRE_URL to the centre's address")
    try:
        synced = sync(db.session, centre_url, now=utcnow())
    except Refusal as error:
        db.session.commit()  # a release or an upload that went through before the refusal stays
        raise _refused(error) from error
    db.session.commit()
    click.echo(f"centre reached (its clock {synced.centre_offset_seconds:+.0f} s from this one)")
    if synced.released is not None:
        click.echo(f"released with the centre's code: {synced.released} rows opened")
    if synced.uploaded is not None:
        problems = synced.uploaded.get("problems") or []
        click.echo(
            f"results sent: {len(synced.uploaded.get('imported', []))} imported, "
            f"{len(synced.uploaded.get('unchanged', []))} already there, {len(problems)} problems"
        )


@site_cli.command("centre-key")
def centre_key_command() -> None:
    """Print the centre's public key (PEM), which a site checks its package against
    (CENTRE_PUBLIC_KEY_FILE); the same key is published at /seleksi/kunci-publik.pem."""
    click.echo(signing.public_key_pem().decode("ascii"), nl=False)
