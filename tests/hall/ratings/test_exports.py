"""One exported row, from a rating as the database holds it: a reason the hall has since
removed from its list keeps its code; times are the hall's."""
from __future__ import annotations

from datetime import date, datetime, timezone

from hall.models import Rating
from hall.ratings import exports, records


def test_a_row_names_reasons_and_keeps_a_removed_ones_code(spec):
    rating = Rating(id=7, hall_id="chengguan", ticket_id=12, service="household", department="县公安局", counter="3",
                    staff_job_no=None, level=1, reasons="attitude,retired_reason", comment="", channel="keypad",
                    identified=True, rated_at=datetime(2026, 11, 25, 1, 2, 3, tzinfo=timezone.utc), set_aside=False)
    record = records.RatingRecord(rating=rating, number="C012", day=date(2026, 11, 25))
    assert exports.row(record, spec=spec) == (
        "chengguan-20261125-C012", "household", "户籍办理", "县公安局", "3", "", 1, "服务态度差；retired_reason", "",
        "3", "2026-11-25 09:02:03", 1, 0)
