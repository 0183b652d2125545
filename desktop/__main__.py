"""``python -m desktop`` is the same as ``coachhub``."""

from desktop.cli import main

raise SystemExit(main())
