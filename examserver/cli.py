"""Command-line tools: ``flask demo`` and ``flask users``."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from examserver.accounts import services
from examserver.accounts.models import User
from examserver.accounts.roles import ROLES
from examserver.demo import seed_demo
from examserver.extensions import db
from itembank.refusal import Refusal


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="Only seed when the database has no accounts yet.")
@with_appcontext
def demo_command(if_empty: bool) -> None:
    """Create the demo data (idempotent). Refused in production."""
    if current_app.config["ENV_NAME"] == "production":
        raise click.ClickException("demo data is never created in production")
    if if_empty and db.session.scalar(select(func.count(User.id))):
        click.echo("database already has accounts; demo not seeded")
        return
    created = seed_demo(current_app.config["DEMO_PASSWORD"])
    db.session.commit()
    summary = ", ".join(f"{name}: {count}" for name, count in created.items())
    click.echo(f"demo data created ({summary}); password for every account: {current_app.config['DEMO_PASSWORD']}")


@click.group("users")
def users_cli() -> None:
    """Manage accounts from the command line (e.g. the first administrator)."""


@users_cli.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.password_option()
@with_appcontext
def create_user_command(email: str, name: str, role: str, password: str) -> None:
    """Create an account with a role."""
    try:
        user = services.create_user(db.session, email=email, full_name=name, role=role, password=password)
    except Refusal as error:
        raise click.ClickException(f"account not created: {error.code}") from error
    db.session.commit()
    click.echo(f"created {user.email} ({user.role})")


@users_cli.command("disable")
@click.argument("email")
@with_appcontext
def disable_user_command(email: str) -> None:
    """Disable an account and end its sessions."""
    user = db.session.scalar(select(User).where(User.email == services.normalise_email(email)))
    if user is None:
        raise click.ClickException(f"no account {email}")
    services.set_disabled(db.session, user, True)
    db.session.commit()
    click.echo(f"disabled {user.email}")
