"""Import direction rules, checked on the source tree's AST (every import, TYPE_CHECKING ones too)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QT = ("PySide6", "qasync", "pyqtgraph", "shiboken6")
DEMO_MODULES = ("desktop/demo/",)


@dataclass(frozen=True)
class Rule:
    """Modules under ``package`` (except ``allowed_files``) must not import any of ``forbidden``."""

    package: str
    forbidden: tuple[str, ...]
    reason: str
    allowed_files: tuple[str, ...] = ()


RULES = (
    Rule(
        "shared",
        ("server", "desktop", "tests", "sqlalchemy", "starlette", "alembic", *QT),
        "shared is the wire contract: it imports nothing of ours and no Qt, SQLAlchemy or Starlette",
    ),
    Rule("server", ("desktop", *QT), "the server never imports the desktop"),
    Rule(
        "desktop",
        ("server",),
        "the desktop talks to the server over HTTP; only the demo starts it",
        allowed_files=DEMO_MODULES,
    ),
    Rule(
        "desktop/ui",
        (
            "httpx",
            "sqlalchemy",
            "keyring",
            "sqlite3",
            "qasync",  # only through desktop/ui/async_slot.py, which gives its slots a type
            "desktop.storage",
            "desktop.net",
            "desktop.sync",
            "desktop.offline",
            "desktop.credentials",
        ),
        "widgets do no I/O and see the services only through desktop.services",
        allowed_files=("desktop/ui/async_slot.py",),
    ),
    Rule(
        "desktop/models",
        ("httpx", "sqlalchemy", "keyring", "sqlite3", "desktop.ui"),
        "item models are fed by services and know nothing of widgets",
    ),
    Rule("desktop/services", ("desktop.ui", "desktop.models"), "services never reach up into the UI"),
    *(
        Rule(
            f"desktop/{package}",
            (*QT, "desktop.ui", "desktop.models", "desktop.services"),
            f"desktop/{package} is plain Python, testable without Qt",
        )
        for package in ("sync", "offline", "storage", "net", "credentials")
    ),
)


def imported_modules(source: str) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
    return modules


def violations(rule: Rule, files: dict[str, str]) -> list[str]:
    found = []
    for relative, source in files.items():
        if not relative.startswith(rule.package + "/"):
            continue
        if any(relative.startswith(allowed) for allowed in rule.allowed_files):
            continue
        for module in sorted(imported_modules(source)):
            if any(module == banned or module.startswith(banned + ".") for banned in rule.forbidden):
                found.append(f"{relative} imports {module}")
    return found


def source_files() -> dict[str, str]:
    files = {}
    for package in ("shared", "server", "desktop"):
        for path in sorted((ROOT / package).rglob("*.py")):
            files[path.relative_to(ROOT).as_posix()] = path.read_text(encoding="utf-8")
    return files


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.package)
def test_import_direction(rule: Rule) -> None:
    assert violations(rule, source_files()) == [], rule.reason


def test_the_checker_catches_what_it_guards() -> None:
    broken = {
        "desktop/ui/view.py": "import httpx\n",
        "desktop/ui/other.py": "from desktop.storage.cache import LocalCache\n",
        "desktop/sync/engine.py": "if TYPE_CHECKING:\n    from PySide6.QtCore import QObject\n",
        "desktop/ui/slot.py": "from qasync import asyncSlot\n",
        "desktop/ui/async_slot.py": "from qasync import asyncSlot\n",
        "desktop/cli.py": "from server.app import create_app\n",
        "desktop/demo/server.py": "from server.app import create_app\n",
        "shared/models.py": "import sqlalchemy.orm\n",
        "server/api/x.py": "from desktop import ui\n",
    }
    found = {
        rule.package: {line.split(" imports ")[0] for line in violations(rule, broken)} for rule in RULES
    }
    assert found["desktop/ui"] == {"desktop/ui/view.py", "desktop/ui/other.py", "desktop/ui/slot.py"}
    assert found["desktop/sync"] == {"desktop/sync/engine.py"}
    assert found["desktop"] == {"desktop/cli.py"}  # desktop/demo/ may start the server
    assert found["shared"] == {"shared/models.py"}
    assert found["server"] == {"server/api/x.py"}


def change_notice_emitters(files: dict[str, str]) -> set[str]:
    """The files that call ``<anything>.sig_changed.emit(...)``."""
    found = set()
    for relative, source in files.items():
        for node in ast.walk(ast.parse(source)):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "emit"
                and isinstance(node.func.value, ast.Attribute)
                and node.func.value.attr == "sig_changed"
            ):
                found.add(relative)
    return found


def test_only_the_sync_service_emits_the_change_notice() -> None:
    assert change_notice_emitters(source_files()) == {"desktop/services/sync.py"}
    other = {"desktop/services/sessions.py": "self.sync.sig_changed.emit(Changes.of())\n"}
    assert change_notice_emitters(other) == {"desktop/services/sessions.py"}
