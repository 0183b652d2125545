"""Routes of the analytics domain."""

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
