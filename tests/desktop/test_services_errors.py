"""What a service call may fail with: only the typed errors of ``desktop.services.errors``."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from desktop.services import Offline, Refused, ServiceError, Services
from shared.auth import Role
from shared.errors import ErrorCode
from tests.desktop.conftest import InProcessServer, Run, SwitchableTransport


def test_a_wrong_password_is_refused_with_the_contracts_code(
    services: Services, server: InProcessServer, run: Run[Any]
) -> None:
    login = server.login(Role.TEAM_LEADER)
    with pytest.raises(Refused) as refused:
        run(services.auth.sign_in(server.base_url, login.email, "not the password", remember=False))
    assert refused.value.code is ErrorCode.UNAUTHORIZED


def test_a_call_that_needs_the_server_fails_offline(
    synced_services: Services, network: SwitchableTransport, run: Run[Any]
) -> None:
    agent = run(synced_services.directory.agents())[0]
    network.online = False
    with pytest.raises(Offline) as offline:
        run(synced_services.sessions.free_slots(agent.id, date.today(), 60))
    assert "does not answer" in offline.value.detail
    assert not synced_services.sync.status.online


def test_a_refusal_from_the_server_is_typed(synced_services: Services, run: Run[Any]) -> None:
    with pytest.raises(Refused) as refused:
        run(synced_services.dashboards.scorecard("00000000-0000-4000-8000-000000000000", "2026-01"))
    assert refused.value.code in (ErrorCode.NOT_FOUND, ErrorCode.FORBIDDEN)


def test_an_edit_of_a_session_that_is_not_here_is_refused(synced_services: Services, run: Run[Any]) -> None:
    with pytest.raises(ServiceError) as error:
        run(synced_services.sessions.edit_notes("00000000-0000-4000-8000-000000000000", "notes"))
    assert isinstance(error.value, Refused) and error.value.code is ErrorCode.NOT_FOUND
