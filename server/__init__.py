"""The Coaching Hub server: a Starlette app over SQLAlchemy (SQLite or PostgreSQL)."""
