"""Routes of the admin domain."""

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
