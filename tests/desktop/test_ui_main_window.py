"""The main window's start against the real server in-process: how many requests it makes for a
manager, whatever the number of teams, and the pickers' agents from the directory."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pytestqt.qtbot import QtBot

from desktop.credentials import MemoryStore, PlainFileStore
from desktop.net import ApiClient
from desktop.services import Services
from desktop.storage import LocalCache
from desktop.ui.main_window import MainWindow
from shared.auth import Role
from tests.desktop.conftest import (
    InProcessServer,
    Run,
    SwitchableTransport,
    dispose_services,
    in_process_server,
    seed_database,
    settled,
)

AGENTS_PER_TEAM = 3
ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


async def give_every_team_to_the_manager(server: InProcessServer) -> None:
    """One manager over all the teams, through the admin API (so the change syncs like any other)."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=server.app), base_url=server.base_url + "/api/v1"
    ) as http:

        async def bearer(role: Role) -> dict[str, str]:
            login = server.login(role)
            answer = await http.post("/auth/login", json={"email": login.email, "password": login.password})
            return {"Authorization": f"Bearer {answer.raise_for_status().json()['access_token']}"}

        admin = await bearer(Role.ADMIN)
        manager_id = (await http.get("/me", headers=await bearer(Role.MANAGER))).json()["id"]
        for team in (await http.get("/teams", headers=admin)).json()["items"]:
            answer = await http.patch(
                f"/admin/teams/{team['id']}",
                json={"manager_id": manager_id},
                headers={**admin, "If-Match": f'"{team["version"]}"'},
            )
            answer.raise_for_status()


class ManagerStart:
    """A server seeded with ``teams`` teams all run by one manager, and that manager's app."""

    def __init__(self, teams: int, root: Path, sqlite_template: Path, run: Run[Any]) -> None:
        root.mkdir()
        path = root / "server.sqlite3"
        shutil.copyfile(sqlite_template, path)
        logins = run(
            seed_database(
                f"sqlite+aiosqlite:///{path}", teams=teams, agents_per_team=AGENTS_PER_TEAM, months=3
            )
        )
        self.teams = teams
        self.run = run
        self.server = in_process_server(path, logins)
        run(give_every_team_to_the_manager(self.server))
        self.network = SwitchableTransport(httpx.ASGITransport(app=self.server.app))
        self.services = Services.build(
            ApiClient(self.server.base_url, transport=self.network),
            LocalCache.in_dir(root / "cache"),
            MemoryStore(),
            plain_file_store=PlainFileStore(root / "plain.json"),
        )
        login = self.server.login(Role.MANAGER)
        self.me = run(
            self.services.auth.sign_in(self.server.base_url, login.email, login.password, remember=False)
        )
        run(self.services.sync.sync_now())

    def start_window(self, qtbot: QtBot) -> tuple[MainWindow, Counter[str]]:
        """Open the main window; the requests its start made, by path (ids as ``{id}``)."""
        window = MainWindow(self.services, self.me)
        qtbot.addWidget(window)
        before = len(self.network.requests)

        async def start() -> None:
            window.start()
            await settled()

        self.run(start())
        paths = Counter(ID.sub("{id}", request.url.path) for request in self.network.requests[before:])
        return window, paths

    def close(self) -> None:
        dispose_services(self.services, self.run)
        self.run(self.services.api.aclose())
        self.services.cache.close()
        self.run(self.server.db.dispose())


@pytest.fixture
def manager_start(sqlite_template: Path, tmp_path: Path, run: Run[Any]) -> Iterator[Any]:
    made: list[ManagerStart] = []

    def make(teams: int) -> ManagerStart:
        made.append(ManagerStart(teams, tmp_path / f"teams-{teams}", sqlite_template, run))
        return made[-1]

    yield make
    for world in made:
        world.close()


def test_a_managers_start_makes_the_same_requests_for_2_and_6_teams(qtbot: QtBot, manager_start: Any) -> None:
    counted: dict[int, Counter[str]] = {}
    for teams in (2, 6):
        world = manager_start(teams)
        window, counted[teams] = world.start_window(qtbot)
        # The start really covered every team: the overview and the pickers hold them all.
        assert window.dashboard.overview_model.rowCount() == teams
        assert window.scorecard.agent_picker.count() == teams * AGENTS_PER_TEAM
        assert len(window.sessions.agent_names()) == teams * AGENTS_PER_TEAM
        window.close()

    assert counted[6] == counted[2]
    assert counted[6] == Counter(
        {
            "/api/v1/dashboards/manager": 1,
            "/api/v1/agents": 1,
            "/api/v1/kpis": 1,
            "/api/v1/conflicts": 1,
            "/api/v1/agents/{id}/scorecard": 1,
        }
    )
