"""A scanned ticket's late rating at the kiosk, on the real embedded hall (the engine writes
the rating) and on a hall server in its own process (the kiosk's token, channel kiosk)."""
from __future__ import annotations

import logging
import sys
from datetime import timedelta

import pytest

from hall.queue import QueueEngine
from hall.ratings.terms import RatingRefusal, RatingRefused
from kiosk.late_rating import Standing
from kiosk.remote import RemoteHall
from kiosk.ticket_states import State
from kiosk.voice import Speaker, VoiceGuide
from tests.kiosk.conftest import make_flow, take
from tests.kiosk.test_help_call import HeldRunner
from tests.kiosk.test_voice import SINK
from tests.support.waiting import until


def served(db, spec, clock, flow, service: str = "household", counter: str = "3") -> str:
    """A ticket taken at the kiosk and served to its end at `counter` by the engine on the
    kiosk's database, as a hall engine without a server completes it; its printed code."""
    take(flow, service)
    code = flow.texts.ticket_view().qr_payload
    flow.done()
    engine = QueueEngine(spec, f"sqlite:///{db}", clock=clock)
    try:
        engine.call_next(counter)
        engine.complete(counter)
    finally:
        engine.close()
    return code


def ratings(db) -> list[tuple]:
    import sqlite3
    with sqlite3.connect(db) as con:
        return con.execute("select ticket_id, level, reasons, channel from ratings").fetchall()


def test_a_completed_ticket_scanned_is_rated_once_on_the_embedded_hall(hall, spec, db, clock, tmp_path):
    flow, *_ = make_flow(hall, tmp_path, clock=clock)
    code = served(db, spec, clock, flow)
    flow.code_scanned(code)
    assert flow.state is State.PROGRESS and flow.rating_offered()
    assert flow.texts.progress_view().status == "这个号码的业务已经办结。" and flow.texts.rating_line() == ""
    flow.rate_service()
    assert flow.state is State.RATING
    assert flow.texts.rating_title() == "C001号，请您对本次服务进行评价"
    assert [f.label for f in flow.texts.faces()] == ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]
    flow.rate(2)
    assert flow.state is State.REASONS
    assert flow.texts.rating_hint() == "请至少选择一项原因"
    flow.send()  # no reason: nothing is sent
    assert flow.state is State.REASONS and ratings(db) == []
    assert "other" not in [code for code, _, _ in flow.texts.rating_reasons()]  # it needs a written comment
    flow.toggle_reason("slow")
    flow.toggle_reason("no_such_reason")
    assert [(c, chosen) for c, _, chosen in flow.texts.rating_reasons() if chosen] == [("slow", True)]
    flow.send()
    assert flow.state is State.THANKS
    [(ticket_id, level, reasons, channel)] = ratings(db)
    assert (level, reasons, channel) == (2, "slow", "kiosk")

    flow.code_scanned(code)  # the same ticket again: rated, said plainly, no button
    assert flow.state is State.PROGRESS and not flow.rating_offered()
    assert flow.texts.rating_line() == "这次服务已经评价过了，每次服务只能评价一次。"
    flow.set_language("en")
    assert flow.texts.rating_line() == "This service has been rated: each service is rated once."
    assert ratings(db) == [(ticket_id, 2, "slow", "kiosk")]


def test_the_same_key_again_is_the_same_rating_and_another_level_is_refused(hall, spec, db, clock, tmp_path):
    flow, *_ = make_flow(hall, tmp_path, clock=clock)
    flow.code_scanned(served(db, spec, clock, flow))
    rating = flow.errand.rating
    first = hall.rate(rating.ticket_id, 5, reasons=[], idempotency_key=rating.key)
    assert hall.rate(rating.ticket_id, 5, reasons=[], idempotency_key=rating.key) == first  # a retry
    with pytest.raises(RatingRefused) as refused:
        hall.rate(rating.ticket_id, 4, reasons=[], idempotency_key=rating.key)
    assert refused.value.reason is RatingRefusal.ALREADY_RATED
    with pytest.raises(RatingRefused) as refused:
        hall.rate(rating.ticket_id, 4, reasons=[], idempotency_key="another-kiosk-key")
    assert refused.value.reason is RatingRefusal.ALREADY_RATED
    assert [r[1] for r in ratings(db)] == [5]


def test_a_double_tap_sends_one_rating(hall, spec, db, clock, tmp_path):
    served_by, *_ = make_flow(hall, tmp_path / "first", clock=clock)
    code = served(db, spec, clock, served_by)
    runner = HeldRunner()
    flow, *_ = make_flow(hall, tmp_path, clock=clock, runner=runner)
    flow.code_scanned(code)
    runner.run()
    flow.rate_service()
    flow.rate(5)
    flow.rate(5)  # the second tap while the first is on its way
    flow.rate(4)
    assert len(runner.jobs) == 1 and flow.state is State.RATING
    runner.run()
    assert flow.state is State.THANKS
    assert [r[1] for r in ratings(db)] == [5]


def test_a_rating_given_meanwhile_elsewhere_is_said_on_the_progress_screen(hall, spec, db, clock, tmp_path):
    flow, *_ = make_flow(hall, tmp_path, clock=clock)
    flow.code_scanned(served(db, spec, clock, flow))
    flow.rate_service()
    hall.rate(flow.errand.rating.ticket_id, 3, reasons=[], idempotency_key="the-phone-page-meanwhile")
    flow.rate(5)
    assert flow.state is State.PROGRESS and not flow.rating_offered()
    assert flow.texts.rating_line() == "这次服务已经评价过了，每次服务只能评价一次。"
    assert [r[1] for r in ratings(db)] == [3]


def test_thanks_then_home_by_itself(hall, spec, db, clock, tmp_path):
    flow, ticks, *_ = make_flow(hall, tmp_path, clock=clock)
    flow.code_scanned(served(db, spec, clock, flow))
    flow.rate_service()
    flow.rate(4)
    assert flow.state is State.THANKS
    ticks.t += 5
    flow.tick()
    assert flow.state is State.IDLE and flow.errand.rating is None


def test_with_voice_on_the_rating_asks_aloud(hall, spec, db, clock, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="kiosk.voice")
    speaker = Speaker(player=(sys.executable, str(SINK), str(tmp_path)))
    flow, *_ = make_flow(hall, tmp_path, clock=clock, guide=VoiceGuide(speaker))
    try:
        flow.code_scanned(served(db, spec, clock, flow))
        flow.toggle_voice()
        flow.rate_service()
        until(lambda: any(r.getMessage() == "saying (zh_CN): 请您对本次服务进行评价" for r in caplog.records))
        flow.rate(1)
        until(lambda: any(r.getMessage() == "saying (zh_CN): 请选择不满意的原因（可多选）" for r in caplog.records))
    finally:
        speaker.close()


def test_a_ticket_not_completed_offers_no_rating_and_says_why(hall, tmp_path, clock):
    flow, *_ = make_flow(hall, tmp_path, clock=clock)
    take(flow, "household")
    code = flow.texts.ticket_view().qr_payload
    flow.done()
    flow.code_scanned(code)
    assert flow.state is State.PROGRESS and not flow.rating_offered()
    assert flow.texts.rating_line() == "业务办结后才能评价。"
    flow.rate_service()  # a tap the screen does not offer changes nothing
    assert flow.state is State.PROGRESS


def test_an_unreachable_hall_keeps_the_rating_screen_and_says_tap_again(hall, spec, db, clock, tmp_path):
    flow, *_ = make_flow(hall, tmp_path, clock=clock)
    flow.code_scanned(served(db, spec, clock, flow))
    flow.rate_service()
    hall.close()  # the kiosk stopping: the engine answers HallUnavailable
    flow.rate(5)
    assert flow.state is State.RATING and flow.texts.rating_problem() == "评价未能保存，请再点一次"
    assert not flow.errand.rating.sending


# -- on a hall server, over HTTP -------------------------------------------------------------


@pytest.fixture
def remote(any_hall_server, tmp_path):
    server = any_hall_server.start()
    hall = RemoteHall(server.url, server.register("kiosk-01"), data_dir=tmp_path / "remote-kiosk")
    yield server, hall
    hall.close()


def served_on_server(server, flow) -> str:
    take(flow, "household")
    link = flow.texts.ticket_view().qr_payload
    flow.done()
    desk = server.staff("0301")
    assert desk.post("/api/v1/counters/3/call-next").status_code == 200
    assert desk.post("/api/v1/counters/3/complete").status_code == 200
    return link


def test_a_kiosk_on_a_hall_server_rates_once_with_channel_kiosk(remote, tmp_path):
    server, hall = remote
    flow, *_ = make_flow(hall, tmp_path, clock=server.clock)
    link = served_on_server(server, flow)
    flow.code_scanned(link)
    assert flow.state is State.PROGRESS and flow.rating_offered()
    flow.rate_service()
    flow.rate(1)
    flow.send()
    assert flow.state is State.REASONS  # no reason chosen
    flow.toggle_reason("attitude")
    flow.toggle_reason("unskilled")
    flow.send()
    assert flow.state is State.THANKS
    assert server.rows("select level, reasons, channel from ratings") == [(1, "attitude,unskilled", "kiosk")]

    flow.code_scanned(link)
    assert flow.state is State.PROGRESS and flow.errand.rating.standing is Standing.RATED
    rating = flow.errand.rating
    with pytest.raises(RatingRefused) as refused:  # another kiosk, or a tap after a lost answer
        hall.rate(rating.ticket_id, 5, reasons=[], idempotency_key="kiosk-rating-elsewhere")
    assert refused.value.reason is RatingRefusal.ALREADY_RATED
    with pytest.raises(RatingRefused) as refused:  # this kiosk's key for another level
        hall.rate(rating.ticket_id, 5, reasons=[], idempotency_key=rating.key)
    assert refused.value.reason is RatingRefusal.ALREADY_RATED
    assert server.rows("select count(*) from ratings") == [(1,)]


def test_after_the_next_working_day_the_kiosk_says_the_time_has_passed(remote, tmp_path):
    server, hall = remote
    flow, *_ = make_flow(hall, tmp_path, clock=server.clock)
    link = served_on_server(server, flow)
    start = server.clock.now
    server.clock.now = start + timedelta(days=1)  # Thursday: the next working day, still open
    flow.code_scanned(link)
    assert flow.rating_offered() and flow.texts.progress_view().status == "这个号码的业务已经办结。"
    flow.done()
    server.clock.now = start + timedelta(days=2)  # Friday
    flow.code_scanned(link)
    assert flow.state is State.PROGRESS and flow.errand.rating.standing is Standing.CLOSED
    assert flow.texts.rating_line() == "这次服务的评价时间已过。"
    assert server.rows("select count(*) from ratings") == [(0,)]
