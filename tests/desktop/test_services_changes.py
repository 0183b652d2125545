"""The change notice: what a sync's report and the change feed's entity names touch on screen."""

from __future__ import annotations

from desktop.services import Changes, Entity
from desktop.services.sync import changes_of
from desktop.sync import SyncReport


def test_pulled_rows_name_what_they_change_on_screen() -> None:
    assert Changes.from_feed(["metric"]).entities == {Entity.METRICS}
    assert Changes.from_feed(["session"]).entities == {Entity.SESSIONS, Entity.CONFLICTS}
    assert Changes.from_feed(["user", "kpi"]).entities == {Entity.DIRECTORY, Entity.METRICS}
    assert Changes.from_feed(["something-new"]).entities == set(Entity)  # unknown: reload it all
    assert not Changes.from_feed([])


def test_a_syncs_notice_covers_its_pull_and_its_push() -> None:
    starter = object()
    assert changes_of(SyncReport(snapshot=True), starter) == Changes(frozenset(Entity), starter)
    assert changes_of(SyncReport(pulled={"metric"}), None).entities == {Entity.METRICS}
    assert changes_of(SyncReport(applied=1), None).entities == {Entity.SESSIONS}
    assert changes_of(SyncReport(failed=1), None).entities == {Entity.SESSIONS, Entity.CONFLICTS}
    assert not changes_of(SyncReport(), None)


def test_a_notice_concerns_a_screen_that_watches_one_of_its_entities() -> None:
    notice = Changes.of(Entity.SESSIONS, initiator="the sessions screen")
    assert notice.concerns({Entity.SESSIONS, Entity.DIRECTORY})
    assert not notice.concerns({Entity.METRICS})
    assert notice.initiator == "the sessions screen"
