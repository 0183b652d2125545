"""Routes of the sync domain."""

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
