"""``async_slot``: qasync's ``asyncSlot`` with a type mypy can check.

qasync ships no type information, so every slot it decorates would be untyped. The decorated method
takes the same arguments and returns the task running the coroutine (tests and screenshots await it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, cast

from qasync import asyncSlot

P = ParamSpec("P")
AsyncMethod = Callable[P, Coroutine[Any, Any, None]]


def async_slot(*types: type) -> Callable[[AsyncMethod[P]], Callable[P, asyncio.Task[None]]]:
    """A Qt slot (of the given argument types) that runs the coroutine method on the asyncio loop."""
    return cast(Callable[[AsyncMethod[P]], Callable[P, "asyncio.Task[None]"]], asyncSlot(*types))
