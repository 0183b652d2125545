"""The Coaching Hub desktop app (PySide6 on qasync)."""
