"""``coachhub demo``: the app on an embedded demo server, and ``--screenshot`` rendering.

The only part of the desktop that imports ``server``: it starts a real server in a background thread
(``server``) and talks to it over HTTP like any client; ``scenario`` makes the situations that need
a decision through the real client paths; ``app`` opens the window; ``screens`` renders every screen.
"""
