"""`lagesbild users add/list/remove`: staff accounts of the dashboard and API (argon2id password hashes)."""
from __future__ import annotations

import sys

import click
from rich.table import Table

from config.settings import load_settings
from lagesbild.options import console, open_settings_store
from store.accounts import UserExists, list_users, remove_user
from web.auth import AuthError, add_user

ROLE_HELP = ("analyst: everything, including crawl runs per site; coordinator: every aggregated table, "
             "all regions; export: the API and downloads only")


@click.group("users")
def users_group() -> None:
    """Accounts of the dashboard and API (roles: analyst, coordinator, export)."""


@users_group.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["analyst", "coordinator", "export"]), required=True, help=ROLE_HELP)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input "
                                                     "(for scripts) instead of asking for it.")
def users_add(name: str, role: str, password_stdin: bool) -> None:
    """Add a user; the password is asked for twice (never give it on the command line).

    Example: lagesbild users add anna --role coordinator
    """
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with open_settings_store(load_settings()) as store:
            user = add_user(store, name, password, role)
    except (AuthError, UserExists) as exc:
        raise click.UsageError(str(exc)) from None
    console.print(f"Added {user.username} ({user.role}).")


@users_group.command("list")
def users_list() -> None:
    """List users, their roles and last logins.  Example: lagesbild users list"""
    with open_settings_store(load_settings()) as store:
        users = list_users(store)
    if not users:
        console.print("No users. Add one with: lagesbild users add NAME --role analyst")
        return
    table = Table("name", "role", "created (UTC)", "last login (UTC)", title="Users")
    for user in users:
        table.add_row(user.username, user.role, f"{user.created_at:%Y-%m-%d %H:%M}",
                      f"{user.last_login_at:%Y-%m-%d %H:%M}" if user.last_login_at else "—")
    console.print(table)


@users_group.command("remove")
@click.argument("name")
def users_remove(name: str) -> None:
    """Remove a user; their sessions stop working at once.  Example: lagesbild users remove anna"""
    with open_settings_store(load_settings()) as store:
        if not remove_user(store, name.strip().lower()):
            raise click.ClickException(f"no user named {name!r}")
    console.print(f"Removed {name.strip().lower()}.")
