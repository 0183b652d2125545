"""``coachhub-server``: serve, migrate, seed-demo, create-user, import-metrics, purge, demo."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
import tempfile
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from server.db.engine import Database
from server.db.migrate import upgrade
from server.services.passwords import Passwords
from server.settings import Settings

Command = Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    if args.workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="coachhub-metrics-")
    if args.migrate:
        asyncio.run(upgrade(settings.database_url))
    print(f"Coaching Hub server on http://{args.host}:{args.port} ({settings.database_url.split('://')[0]})")
    uvicorn.run(
        "server.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        # The server decides whose X-Forwarded-For to believe (COACHHUB_TRUSTED_PROXIES).
        proxy_headers=False,
    )
    return 0


async def _migrate(_args: argparse.Namespace, settings: Settings) -> int:
    await upgrade(settings.database_url)
    print("database is at the latest schema")
    return 0


async def _seed_demo(args: argparse.Namespace, settings: Settings) -> int:
    from server.services.demo_data import seed_demo

    await upgrade(settings.database_url)
    db = Database(settings)
    try:
        logins = await seed_demo(
            db,
            Passwords(settings.password_hash_memory_kib),
            teams=args.teams,
            agents_per_team=args.agents_per_team,
            months=args.months,
        )
    finally:
        await db.dispose()
    print("Demo data is ready. Sign in with:")
    for login in logins:
        print(f"  {login.role:<12} {login.email:<32} password: {login.password}")
    return 0


async def _create_user(args: argparse.Namespace, settings: Settings) -> int:
    from server.services.admin import AdminService
    from shared.admin import UserCreate

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif args.password:
        password = args.password
    else:
        password = getpass.getpass("Password: ")
    data = UserCreate(
        email=args.email,
        name=args.name,
        role=args.role,
        password=password,
        team_id=args.team_id,
        employee_code=args.employee_code,
    )
    db = Database(settings)
    try:
        user = await AdminService(db, Passwords(settings.password_hash_memory_kib)).create_user(data)
    finally:
        await db.dispose()
    print(f"created {user.role.value} {user.email} ({user.id})")
    return 0


async def _import_metrics(args: argparse.Namespace, settings: Settings) -> int:
    from server.problems import ProblemError
    from server.services.metrics_import import import_metrics_csv

    # Read line by line as the import goes (a local file: each read is short).
    lines = await asyncio.to_thread(Path(args.file).open, encoding="utf-8-sig", newline="")
    db = Database(settings)
    try:
        with lines:
            result = await import_metrics_csv(db, lines, None)
    except ProblemError as error:
        print(f"nothing imported: {error.detail}", file=sys.stderr)
        for row in error.extra.get("errors", [])[:50]:
            print(f"  row {row['row']}: {row['message']}", file=sys.stderr)
        return 1
    finally:
        await db.dispose()
    print(f"inserted {result.inserted}, updated {result.updated}, unchanged {result.unchanged}")
    return 0


async def _purge(_args: argparse.Namespace, settings: Settings) -> int:
    from server.services.maintenance import purge

    db = Database(settings)
    try:
        report = await purge(db, settings)
    finally:
        await db.dispose()
    for name, count in vars(report).items():
        print(f"purged {count} {name.replace('_', ' ')}")
    return 0


def _demo(args: argparse.Namespace, settings: Settings) -> int:
    """Seed demo data (once) into the embedded SQLite database and serve it."""
    if not asyncio.run(_has_users(settings)):
        args.teams, args.agents_per_team, args.months = 3, 8, 14
        asyncio.run(_seed_demo(args, settings))
    args.workers, args.migrate = 1, True
    return _serve(args, settings)


async def _has_users(settings: Settings) -> bool:
    from sqlalchemy import func, select

    from server.db.models import User

    await upgrade(settings.database_url)
    db = Database(settings)
    try:
        async with db.read() as session:
            return bool(await session.scalar(select(func.count()).select_from(User)))
    finally:
        await db.dispose()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coachhub-server", description="The Coaching Hub server.")
    commands = parser.add_subparsers(dest="command", required=True)

    def add_serve_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--host", default="127.0.0.1")
        command.add_argument("--port", type=int, default=8000)
        command.add_argument("--log-level", default="info")

    serve = commands.add_parser("serve", help="run the HTTP server")
    add_serve_options(serve)
    serve.add_argument("--workers", type=int, default=1, help="worker processes")
    serve.add_argument("--migrate", action="store_true", help="migrate the database first")
    demo = commands.add_parser("demo", help="seed demo data if empty, then serve it")
    add_serve_options(demo)

    commands.add_parser("migrate", help="bring the database schema up to date")
    seed = commands.add_parser("seed-demo", help="create demo users, teams, metrics and sessions")
    seed.add_argument("--teams", type=int, default=3)
    seed.add_argument("--agents-per-team", type=int, default=8)
    seed.add_argument("--months", type=int, default=14)

    create = commands.add_parser("create-user", help="create a user")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--role", required=True, choices=["agent", "team_leader", "manager", "admin"])
    secret = create.add_mutually_exclusive_group()
    secret.add_argument("--password")
    secret.add_argument("--password-stdin", action="store_true")
    create.add_argument("--team-id")
    create.add_argument("--employee-code")

    imports = commands.add_parser("import-metrics", help="import monthly KPI values from a CSV file")
    imports.add_argument("file")
    commands.add_parser("purge", help="delete expired tokens, idempotency keys and old changes")
    return parser


ASYNC_COMMANDS: dict[str, Command] = {
    "migrate": _migrate,
    "seed-demo": _seed_demo,
    "create-user": _create_user,
    "import-metrics": _import_metrics,
    "purge": _purge,
}
SYNC_COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {"serve": _serve, "demo": _demo}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = Settings.from_env()
    if args.command in SYNC_COMMANDS:
        return SYNC_COMMANDS[args.command](args, settings)
    return asyncio.run(ASYNC_COMMANDS[args.command](args, settings))


if __name__ == "__main__":
    raise SystemExit(main())
