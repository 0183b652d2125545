"""Every setting does something, and the README lists exactly the ones the server reads."""

from __future__ import annotations

import re
from dataclasses import fields
from ipaddress import ip_network
from pathlib import Path

from server.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _server_sources_but_settings() -> str:
    return "\n".join(
        path.read_text()
        for path in (ROOT / "server").rglob("*.py")
        if path.name != "settings.py" and "migrations" not in path.parts
    )


def test_every_setting_is_used_by_the_server() -> None:
    sources = _server_sources_but_settings()
    unused = [f.name for f in fields(Settings) if not re.search(rf"\.{f.name}\b", sources)]
    assert unused == []


def test_the_readme_lists_exactly_the_variables_the_server_reads() -> None:
    read = set(re.findall(r'env\.get\("(COACHHUB_\w+)"\)', (ROOT / "server" / "settings.py").read_text()))
    table = (ROOT / "README.md").read_text().split("Settings are environment variables", 1)[1]
    table = table.split("\n\n", 2)[1]
    listed = set(re.findall(r"`(COACHHUB_\w+)`", table)) - {"COACHHUB_TEST_POSTGRES_URL"}
    assert listed == read


def test_trusted_proxies_and_metrics_come_from_the_environment() -> None:
    settings = Settings.from_env(
        {"COACHHUB_TRUSTED_PROXIES": "10.0.0.5, 192.168.0.0/24,::1", "COACHHUB_METRICS": "on"}
    )
    assert settings.trusted_proxies == (
        ip_network("10.0.0.5"),
        ip_network("192.168.0.0/24"),
        ip_network("::1"),
    )
    assert settings.metrics_enabled
    assert not Settings.from_env({}).metrics_enabled and Settings.from_env({}).trusted_proxies == ()
