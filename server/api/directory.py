"""Routes of the directory domain."""

from starlette.routing import BaseRoute

routes: list[BaseRoute] = []
