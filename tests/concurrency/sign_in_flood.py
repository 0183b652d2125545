"""Bad sign-ins from a process of its own, as an attacker's would come from a machine of its own.

Run in the test's process, the flood's client work would share the reader's event loop and slow
the reader's own measurements. The process is niced for the same reason: on the small test
machine the attacker's CPU stands in for someone else's. The flood is switched on and off many
times in one run, so quiet and flooded reads see the same machine (others' load comes and goes).
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections import Counter
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from typing import Any

import httpx

NICENESS = 19
NO_ANSWER = 0  # counted in place of a status when a sign-in got no answer in time
TIMEOUT = 30.0
IDLE_POLL = 0.01


async def _flood(
    base_url: str, clients: int, flooding: Event, stop: Event, in_flight: Synchronized[int]
) -> Counter[int]:
    answers: Counter[int] = Counter()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=TIMEOUT, limits=limits) as http:

        async def bad_sign_in() -> None:
            with in_flight.get_lock():
                in_flight.value += 1
            try:
                # A fresh address each time (the server trusts this test as its proxy), so the
                # per-address ceiling stays out of it and the hashing lane alone must hold.
                address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.9"
                response = await http.post(
                    "/api/v1/auth/login",
                    json={"email": f"{secrets.token_hex(8)}@example.com", "password": "let me in"},
                    headers={"X-Forwarded-For": address},
                )
                answers[response.status_code] += 1
            except httpx.HTTPError:
                answers[NO_ANSWER] += 1
            finally:
                with in_flight.get_lock():
                    in_flight.value -= 1

        async def one_client() -> None:
            while not stop.is_set():
                if flooding.is_set():
                    await bad_sign_in()
                else:
                    await asyncio.sleep(IDLE_POLL)

        await asyncio.gather(*(one_client() for _ in range(clients)))
    return answers


def flood_sign_ins(
    base_url: str, clients: int, flooding: Event, stop: Event, in_flight: Synchronized[int], results: Any
) -> None:
    """``clients`` concurrent bad sign-ins, each followed by the next, while ``flooding`` is set,
    until ``stop``; ``in_flight`` counts those under way. Puts the count of each answer's status
    on ``results``."""
    os.nice(NICENESS)
    results.put(dict(asyncio.run(_flood(base_url, clients, flooding, stop, in_flight))))
