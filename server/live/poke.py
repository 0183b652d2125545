"""A poke: "the change feed has reached ``seq``", with just enough to tell whom it concerns.

A poke carries no data. The teams and people it names come from the change rows a write
recorded; a subscriber whose scope meets none of them is not poked. When in doubt a poke goes
to ``everyone``: a needless poke costs one empty pull, a missing one costs the client the latency
of its timed sync.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

# The NOTIFY channel pokes travel on between processes (and hosts) over PostgreSQL.
CHANNEL = "coachhub_changes"
# PostgreSQL refuses NOTIFY payloads from 8000 bytes; past this a poke names nobody and goes to all.
MAX_PAYLOAD_BYTES = 7000


@dataclass(frozen=True, slots=True)
class Poke:
    """The feed reached ``seq``; the change concerns ``teams`` and ``people`` (or ``everyone``).

    ``rescope`` says the write may have changed who sees what (a team or a user changed): a
    subscriber reloads its scope before it trusts it again.
    """

    seq: int
    teams: frozenset[str] = field(default_factory=frozenset)
    people: frozenset[str] = field(default_factory=frozenset)
    everyone: bool = False
    rescope: bool = False

    def encode(self) -> str:
        document = {
            "seq": self.seq,
            "teams": sorted(self.teams),
            "people": sorted(self.people),
            "everyone": self.everyone,
            "rescope": self.rescope,
        }
        text = json.dumps(document, separators=(",", ":"))
        if len(text.encode()) <= MAX_PAYLOAD_BYTES:
            return text
        return json.dumps({"seq": self.seq, "everyone": True, "rescope": self.rescope})

    @classmethod
    def decode(cls, text: str) -> Poke:
        document = json.loads(text)
        return cls(
            seq=int(document["seq"]),
            teams=frozenset(document.get("teams", ())),
            people=frozenset(document.get("people", ())),
            everyone=bool(document.get("everyone", False)),
            rescope=bool(document.get("rescope", False)),
        )

    def concerns(self, user_id: str, team_ids: frozenset[str] | None) -> bool:
        """Whether a reader with this id and team scope (``None``: every team) may see the change."""
        if self.everyone or team_ids is None:
            return True
        return user_id in self.people or not self.teams.isdisjoint(team_ids)

