"""The wire contract shared by the Coaching Hub server and desktop app.

Pure Python and pydantic only: no Qt, no SQLAlchemy, no Starlette.
"""
