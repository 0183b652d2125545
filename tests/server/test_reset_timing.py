"""A reset request for a known address is answered in the same time as for an unknown one: before
the answer both do the same work (the rate-limit counts), and the lookup, token and mail follow."""

from __future__ import annotations

import statistics
import time
from typing import Any

from server.app import create_app
from server.db.engine import Database
from server.settings import Settings
from tests.factories import World
from tests.server.raw_asgi import is_last_body, post_json

ROUNDS, PAIRS = 3, 15
# Wide enough for a busy machine: the gap it guards against was ~1.5x.
TOLERANCE = 1.3


async def _time_to_answer(app: object, email: str, client: str) -> float:
    """Seconds from the request to the last byte of the answer; work the app does after that
    (a background task) is not part of what the caller can time."""
    answered: list[float] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 202, message
        if is_last_body(message):
            answered.append(time.perf_counter())

    started = time.perf_counter()
    # One address per request: the per-address limit stays out of it.
    await post_json(app, "/api/v1/auth/password-reset", {"email": email}, client, send)
    return answered[0] - started


async def test_known_and_unknown_addresses_answer_in_the_same_time(
    settings: Settings, db: Database, world: World
) -> None:
    known = [(await world.user(f"reset_timing_{n}", "manager")).email for n in range(ROUNDS * PAIRS)]
    app = create_app(settings, db)
    await _time_to_answer(app, "warm-up@example.com", "192.0.2.250")
    ratios = []
    for round_number in range(ROUNDS):
        known_times, unknown_times = [], []
        for pair in range(PAIRS):
            number = round_number * PAIRS + pair
            requests = [
                (known_times, known[number], f"192.0.2.{2 * number}"),
                # The same length and shape as the known one, so only being known differs.
                (unknown_times, "x" + known[number][1:], f"192.0.2.{2 * number + 1}"),
            ]
            # Interleaved, and each kind first in every other pair: drift in the machine's load,
            # and whatever a request leaves behind for the next one, hit both kinds alike.
            for times, email, client in requests if pair % 2 else reversed(requests):
                times.append(await _time_to_answer(app, email, client))
        ratios.append(statistics.median(known_times) / statistics.median(unknown_times))
    ratio = statistics.median(ratios)
    print(f"\nknown/unknown median answer time per round: {', '.join(f'{r:.2f}' for r in ratios)}")
    assert 1 / TOLERANCE < ratio < TOLERANCE, ratios
