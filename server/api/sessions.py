"""Routes of the sessions domain."""

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
