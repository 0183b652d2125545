"""Three-way merge per field."""

from __future__ import annotations

from desktop.sync import three_way_merge

BASE = {
    "topic": "QA",
    "notes": "",
    "status": "scheduled",
    "starts_at": "09:00",
    "ends_at": "10:00",
    "version": 1,
}


def test_unchanged_on_my_side_takes_theirs() -> None:
    theirs = {**BASE, "topic": "QA form", "version": 2}
    result = three_way_merge(BASE, BASE, theirs)
    assert result.clean and result.merged == theirs


def test_one_sided_changes_on_each_side_merge_by_themselves() -> None:
    mine = {**BASE, "notes": "bring the call recording"}
    theirs = {**BASE, "topic": "QA form", "version": 2}
    result = three_way_merge(BASE, mine, theirs)
    assert result.clean
    assert result.merged == {**BASE, "notes": "bring the call recording", "topic": "QA form", "version": 2}


def test_same_change_on_both_sides_is_no_conflict() -> None:
    changed = {**BASE, "notes": "same words"}
    result = three_way_merge(BASE, changed, {**changed, "version": 2})
    assert result.clean and result.merged["notes"] == "same words"


def test_both_sides_changed_differently_is_a_field_conflict_for_the_user() -> None:
    mine = {**BASE, "notes": "mine", "topic": "Empathy"}
    theirs = {**BASE, "notes": "theirs", "version": 2}
    result = three_way_merge(BASE, mine, theirs, fields=["topic", "notes", "status"])
    assert not result.clean
    assert result.conflict_fields == ["notes"]
    conflict = result.conflicts[0]
    assert (conflict.base, conflict.mine, conflict.theirs) == ("", "mine", "theirs")
    # The one-sided change still merges; the conflicting field keeps theirs until the user decides.
    assert result.merged["topic"] == "Empathy" and result.merged["notes"] == "theirs"


def test_start_and_end_merge_as_one_slot() -> None:
    # I moved the start, they moved the end: taking each side's half would invent a third slot.
    mine = {**BASE, "starts_at": "08:30"}
    theirs = {**BASE, "ends_at": "10:30", "version": 2}
    result = three_way_merge(BASE, mine, theirs)
    assert sorted(result.conflict_fields) == ["ends_at", "starts_at"]


def test_a_moved_slot_on_one_side_moves_both_times() -> None:
    mine = {**BASE, "starts_at": "11:00", "ends_at": "12:00"}
    theirs = {**BASE, "notes": "x", "version": 2}
    result = three_way_merge(BASE, mine, theirs)
    assert result.clean
    assert (result.merged["starts_at"], result.merged["ends_at"], result.merged["notes"]) == (
        "11:00",
        "12:00",
        "x",
    )
