"""Ratings given: one per completed transaction, from the counter's screen or keypad while
its prompt is open, later from the phone page or a kiosk, or on the hall's call-back.

A completion is written down at once (served) with who served and until when it may be
rated; a prompt that ends unanswered, by its time or by the counter's next call, leaves the
transaction not rated, never with an invented rating.

A counter's rating is judged by when it was given, not when it arrived: a terminal or keypad
bridge that could not reach the hall keeps the rating in its outbox and says, on delivery,
how long ago it was given. A rating given before the prompt ended is taken even though the
prompt meanwhile ended as not rated (by its time, or by the next call, which moves the
prompt's end to that moment), and the transaction turns rated: one rating still. One given
after it is refused, and nothing arrives after the late-rating time, whenever it was given. Every check is made before anything is
written, and data functions take the session, so a refusal leaves nothing behind.

Whoever locks a transaction's row takes the event log's lock first (hall.db.order_commits),
as the counter operations do before they end a prompt: one order of locks, no deadlock.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hall import events
from hall.db import order_commits
from hall.errors import InvalidInput
from hall.hours import add_working_days
from hall.models import Rating, ServedTicket, Ticket
from hall.ratings import cases, totals
from hall.ratings.terms import BAD_UP_TO, LEVELS, Channel, RatingRefusal, RatingRefused, RatingState
from hall.spec import HallSpec
from hall.tickets import EventKind, TicketStatus

COMMENT_LENGTH = 500
MAX_REASONS = 10
# Rated at the counter: given within its prompt. Every channel but the hall's call-back: arrived
# before the late-rating time.
PROMPT_CHANNELS = frozenset({Channel.COUNTER, Channel.KEYPAD})
# A five-key keypad has no way to give a reason: its bad rating is taken as pressed, and its
# follow-up case (opened like any other) finds out what went wrong.
WITHOUT_REASONS = frozenset({Channel.KEYPAD})


@dataclass(frozen=True)
class RatingStatus:
    """What anyone but a supervisor may know of a transaction's rating: never its level."""

    ticket_id: int
    state: RatingState | None        # None: not completed (or completed before ratings were kept)
    rateable_until: datetime | None  # the phone page and kiosks take a rating until then
    callback_offered: bool           # the hall will phone back if the citizen leaves a number


def served(session: Session, *, spec: HallSpec, ticket_id: int, job_no: str | None, now: datetime) -> ServedTicket:
    """Writes down a ticket just completed, in the transaction of its completion: its prompt
    opens now. One in callback_percent of the day's completions is chosen for a call-back,
    counted so that the share holds exactly over the day."""
    ticket = session.get(Ticket, ticket_id)
    completed_at = ticket.completed_at or now
    day = completed_at.astimezone(spec.zone).date()
    before = session.scalar(select(func.count()).select_from(ServedTicket).where(
        ServedTicket.hall_id == spec.hall.id, ServedTicket.day == day)) or 0
    share = spec.ratings.callback_percent
    row = ServedTicket(
        ticket_id=ticket.id, hall_id=spec.hall.id, day=day, service=ticket.service,
        department=spec.department_of(ticket.service), counter=ticket.counter or "", staff_job_no=job_no,
        completed_at=completed_at,
        prompt_until=completed_at + timedelta(seconds=spec.ratings.window_seconds),
        rateable_until=_end_of_late_day(spec, day), rating_state=RatingState.AWAITING.value,
        callback_due=(before + 1) * share // 100 > before * share // 100)
    session.add(row)
    session.flush()
    totals.served(session, row=row, ticket=ticket)
    return row


def _end_of_late_day(spec: HallSpec, day: date) -> datetime:
    last = add_working_days(spec.hours, day, spec.ratings.late_working_days)
    return datetime.combine(last + timedelta(days=1), time(), tzinfo=spec.zone)


def prompts_ended(session: Session, *, spec: HallSpec, now: datetime) -> bool:
    """Whether some prompt's time is up: asked in a reading transaction first, so that the
    server's watch takes the write lock only when there is something to write."""
    return session.scalar(select(ServedTicket.ticket_id).where(
        ServedTicket.hall_id == spec.hall.id, ServedTicket.rating_state == RatingState.AWAITING.value,
        ServedTicket.prompt_until <= now).limit(1)) is not None


def end_prompts(session: Session, *, spec: HallSpec, now: datetime, counter: str | None = None) -> int:
    """Records as not rated the prompts that ended: at `counter`, all its open ones (it called
    the next citizen); without it, those whose time is up. Returns how many."""
    order_commits(session)
    query = select(ServedTicket).where(ServedTicket.hall_id == spec.hall.id,
                                       ServedTicket.rating_state == RatingState.AWAITING.value)
    if counter is not None:
        query = query.where(ServedTicket.counter == counter)
    else:
        query = query.where(ServedTicket.prompt_until <= now)
    ended = list(session.scalars(query.order_by(ServedTicket.ticket_id).with_for_update()))
    for row in ended:
        row.rating_state = RatingState.NOT_RATED.value
        row.prompt_until = min(row.prompt_until, now)  # a rating given from now on is not this one's
        totals.prompt_ended(session, row=row)
        events.append(session, hall_id=spec.hall.id, kind=EventKind.NOT_RATED, at=now, ticket_id=row.ticket_id,
                      counter=row.counter, payload={"rating": {"ticket_id": row.ticket_id, "counter": row.counter,
                                                               "state": RatingState.NOT_RATED.value}})
    return len(ended)


def served_ticket(session: Session, *, spec: HallSpec, ticket_id: int, now: datetime,
                  counters: tuple[str, ...] | None = None) -> ServedTicket:
    """The completed transaction, locked for the change about to be made; `counters`: those
    the asking device is bound to. Written down now if it was completed without (before this
    release, or by a hall engine without a server): nobody is named as having served it."""
    ticket = session.get(Ticket, ticket_id) if isinstance(ticket_id, int) and ticket_id > 0 else None
    if ticket is None:
        raise RatingRefused(RatingRefusal.NOT_FOUND, f"no ticket {ticket_id!r}")
    if ticket.hall_id != spec.hall.id:
        raise RatingRefused(RatingRefusal.OTHER_HALL, f"ticket {ticket_id} is not of hall {spec.hall.id!r}")
    if ticket.status != TicketStatus.COMPLETED.value:
        raise RatingRefused(RatingRefusal.NOT_COMPLETED, f"{ticket.number} is {ticket.status}, not completed")
    order_commits(session)
    row = session.get(ServedTicket, ticket_id, with_for_update=True)
    if row is None:
        row = served(session, spec=spec, ticket_id=ticket_id, job_no=None, now=now)
    if counters is not None and row.counter not in counters:
        raise RatingRefused(RatingRefusal.NOT_YOUR_COUNTER,
                            f"{ticket.number} was served at counter {row.counter}; this device rates for "
                            f"{', '.join(counters) or 'no counter'}")
    return row


def rate(session: Session, *, spec: HallSpec, ticket_id: int, level: int, reasons: list[str], comment: str,
         channel: Channel, identified: bool, now: datetime, counters: tuple[str, ...] | None = None,
         given_seconds_ago: float = 0) -> Rating:
    """The transaction's one rating, given `given_seconds_ago` before `now` (never taken as
    before its completion); raises RatingRefused with the reason (InvalidInput for a comment
    too long). A bad rating (不满意, 非常不满意) opens its follow-up case."""
    if not isinstance(level, int) or isinstance(level, bool) or level not in LEVELS:
        raise RatingRefused(RatingRefusal.LEVEL_OUT_OF_RANGE, f"level {level!r}: give 1 (非常不满意) to 5 (非常满意)")
    if not isinstance(comment, str) or len(comment) > COMMENT_LENGTH:
        raise InvalidInput("comment", f"text of at most {COMMENT_LENGTH} characters, please")
    reasons = list(dict.fromkeys(reasons))
    row = served_ticket(session, spec=spec, ticket_id=ticket_id, now=now, counters=counters)
    if row.rating_state == RatingState.RATED.value:
        raise RatingRefused(RatingRefusal.ALREADY_RATED, f"ticket {ticket_id} was rated before: one rating each")
    given_at = max(now - timedelta(seconds=given_seconds_ago), row.completed_at)
    _in_time(row, channel, now, given_at)
    _reasons_hold(spec, level, reasons, comment, channel)
    rating = Rating(hall_id=spec.hall.id, ticket_id=row.ticket_id, day=row.day, service=row.service,
                    department=row.department, counter=row.counter, staff_job_no=row.staff_job_no, level=level,
                    reasons=",".join(reasons), comment=comment.strip(), channel=channel.value,
                    identified=bool(identified), rated_at=given_at, set_aside=False)
    session.add(rating)
    totals.rated(session, row=row, was=RatingState(row.rating_state), level=level)
    row.rating_state = RatingState.RATED.value
    row.phone = None  # a number left for a call-back has no purpose once rated
    session.flush()
    events.append(session, hall_id=spec.hall.id, kind=EventKind.RATED, at=now, ticket_id=row.ticket_id,
                  counter=row.counter, payload={"rating": event_payload(rating)})
    if level <= BAD_UP_TO:
        cases.open_case(session, spec=spec, rating=rating, now=now)
    return rating


def event_payload(rating: Rating) -> dict:
    return {"id": rating.id, "ticket_id": rating.ticket_id, "counter": rating.counter, "channel": rating.channel,
            "state": RatingState.RATED.value, "level": rating.level, "reasons": split_reasons(rating.reasons),
            "service": rating.service, "department": rating.department, "staff_job_no": rating.staff_job_no,
            "identified": rating.identified}


def split_reasons(reasons: str) -> list[str]:
    return [r for r in reasons.split(",") if r]


def _in_time(row: ServedTicket, channel: Channel, now: datetime, given_at: datetime) -> None:
    if channel in PROMPT_CHANNELS and given_at >= row.prompt_until:
        raise RatingRefused(RatingRefusal.WINDOW_CLOSED,
                            f"the counter's prompt for ticket {row.ticket_id} ended at "
                            f"{row.prompt_until.isoformat()}, before this rating was given; the citizen may still "
                            "rate from the ticket's phone page or a kiosk")
    if channel is not Channel.CALLBACK and now >= row.rateable_until:
        raise RatingRefused(RatingRefusal.WINDOW_CLOSED,
                            f"ticket {row.ticket_id} could be rated until {row.rateable_until.isoformat()}")


def _reasons_hold(spec: HallSpec, level: int, reasons: list[str], comment: str, channel: Channel) -> None:
    if len(reasons) > MAX_REASONS:
        raise InvalidInput("reasons", f"at most {MAX_REASONS}")
    known = spec.ratings
    unknown = [r for r in reasons if known.reason(r) is None]
    if unknown:
        raise RatingRefused(RatingRefusal.UNKNOWN_REASON,
                            f"no reason {', '.join(map(repr, unknown))} in this hall; known: "
                            f"{', '.join(r.code for r in known.reasons)}")
    if level <= BAD_UP_TO and not reasons and channel not in WITHOUT_REASONS:
        raise RatingRefused(RatingRefusal.REASON_REQUIRED,
                            f"a rating of {level} ({LEVELS[level]}) needs at least one reason from the hall's list")
    wanting = [r for r in reasons if known.reason(r).needs_comment]
    if wanting and not comment.strip():
        raise RatingRefused(RatingRefusal.COMMENT_REQUIRED, f"reason {wanting[0]!r} needs a comment saying what")


def status(session: Session, *, spec: HallSpec, ticket_id: int) -> RatingStatus:
    ticket = session.get(Ticket, ticket_id)
    if ticket is None or ticket.hall_id != spec.hall.id:
        raise RatingRefused(RatingRefusal.NOT_FOUND, f"no ticket {ticket_id} in hall {spec.hall.id!r}")
    row = session.get(ServedTicket, ticket_id)
    if row is None:
        return RatingStatus(ticket_id=ticket_id, state=None, rateable_until=None, callback_offered=False)
    state = RatingState(row.rating_state)
    return RatingStatus(ticket_id=ticket_id, state=state,
                        rateable_until=row.rateable_until if state is not RatingState.RATED else None,
                        callback_offered=row.callback_due and row.callback_at is None and state is not RatingState.RATED)


@dataclass(frozen=True)
class RatingRecord:
    rating: Rating
    number: str
    day: date


def ratings(session: Session, *, spec: HallSpec, start: date, end: date, counter: str | None = None,
            staff: str | None = None, service: str | None = None, level: int | None = None, after: int = 0,
            limit: int = 100) -> list[RatingRecord]:
    """The ratings of the transactions completed from `start` to `end` (hall-local days), in
    the order given, after the rating id `after`: a supervisor's list, page by page."""
    # One day's, the supervisor's default, are read in order from that day's ids (ix_rating_day).
    days = (Rating.day == start,) if start == end else (Rating.day >= start, Rating.day <= end)
    query = (select(Rating, Ticket.number)
             .join(Ticket, Ticket.id == Rating.ticket_id)
             .where(Rating.hall_id == spec.hall.id, *days, Rating.id > after))
    for column, value in ((Rating.counter, counter), (Rating.staff_job_no, staff), (Rating.service, service),
                          (Rating.level, level)):
        if value is not None:
            query = query.where(column == value)
    rows = session.execute(query.order_by(Rating.id).limit(limit)).all()
    return [RatingRecord(rating=r, number=number, day=r.day) for r, number in rows]
