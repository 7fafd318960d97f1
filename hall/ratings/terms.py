"""The words of ratings as plain values: levels, channels, states, case steps and the reasons
a rating is refused. Kept apart from the database layer, like hall.tickets, so that the wire
schema and the terminals can name them."""
from __future__ import annotations

from enum import Enum

from hall.errors import HallError

LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
SATISFIED_FROM = 3   # 基本满意 or better counts as satisfied
BAD_UP_TO = 2        # 不满意 and 非常不满意 are bad ratings (差评)


class Channel(str, Enum):
    """Where a rating was given; the hall tells it from the caller, never from the request."""

    COUNTER = "counter"          # the counter terminal's screen
    KEYPAD = "keypad"            # a serial rating keypad, through its bridge
    PHONE_PAGE = "phone_page"    # the ticket's phone page (its QR code)
    KIOSK = "kiosk"              # a ticket kiosk, the ticket scanned
    CALLBACK = "callback"        # the hall phoned the citizen back (回访)


class RatingState(str, Enum):
    """A completed transaction as ratings see it: what staff may know, and all they may."""

    AWAITING = "awaiting"        # the counter's prompt is open
    RATED = "rated"
    NOT_RATED = "not_rated"      # the prompt ended unanswered; a late rating may still come


class CaseState(str, Enum):
    OPEN = "open"
    VERIFIED = "verified"
    RECTIFIED = "rectified"
    CALLED_BACK = "called_back"
    CLOSED = "closed"
    APPEALED = "appealed"        # 申诉
    REVIEWED = "reviewed"        # 复核
    UPHELD = "upheld"            # the appeal stands: the rating is set aside
    WITHDRAWN = "withdrawn"      # the appeal is withdrawn: rectification goes on


class CaseStep(str, Enum):
    VERIFY = "verify"
    RECTIFY = "rectify"
    CALLBACK = "callback"
    CLOSE = "close"
    APPEAL = "appeal"
    REVIEW = "review"
    UPHOLD = "uphold"
    WITHDRAW = "withdraw"


# (state, step) -> the state it leads to; anything else is refused.
CASE_STEPS: dict[tuple[CaseState, CaseStep], CaseState] = {
    (CaseState.OPEN, CaseStep.VERIFY): CaseState.VERIFIED,
    (CaseState.VERIFIED, CaseStep.RECTIFY): CaseState.RECTIFIED,
    (CaseState.WITHDRAWN, CaseStep.RECTIFY): CaseState.RECTIFIED,
    (CaseState.RECTIFIED, CaseStep.CALLBACK): CaseState.CALLED_BACK,
    (CaseState.CALLED_BACK, CaseStep.CLOSE): CaseState.CLOSED,
    (CaseState.OPEN, CaseStep.APPEAL): CaseState.APPEALED,
    (CaseState.VERIFIED, CaseStep.APPEAL): CaseState.APPEALED,
    (CaseState.APPEALED, CaseStep.REVIEW): CaseState.REVIEWED,
    (CaseState.REVIEWED, CaseStep.UPHOLD): CaseState.UPHELD,
    (CaseState.REVIEWED, CaseStep.WITHDRAW): CaseState.WITHDRAWN,
}
CASE_FINISHED = frozenset({CaseState.CLOSED, CaseState.UPHELD})


class CallOutcome(str, Enum):
    ANSWERED = "answered"        # the citizen rated on the phone
    NO_ANSWER = "no_answer"
    DECLINED = "declined"        # reached, and would rather not rate


class Grouping(str, Enum):
    """What the figures are counted per."""

    STAFF = "staff"
    COUNTER = "counter"
    SERVICE = "service"
    DEPARTMENT = "department"
    DAY = "day"


class RatingRefusal(str, Enum):
    NOT_FOUND = "not_found"                  # no such ticket
    OTHER_HALL = "other_hall"                # a ticket of another hall
    NOT_COMPLETED = "not_completed"          # still waiting or being served, or never served
    NOT_YOUR_COUNTER = "not_your_counter"    # a counter terminal or keypad rating another counter's ticket
    ALREADY_RATED = "already_rated"          # one rating per transaction
    WINDOW_CLOSED = "window_closed"          # the prompt ended, or the late-rating time passed
    LEVEL_OUT_OF_RANGE = "level_out_of_range"
    REASON_REQUIRED = "reason_required"      # a bad rating needs a reason from the hall's list
    UNKNOWN_REASON = "unknown_reason"
    COMMENT_REQUIRED = "comment_required"    # a reason such as 其他 needs its comment
    NO_CALLBACK = "no_callback"              # the transaction is not (or no longer) to be phoned back
    CASE_NOT_FOUND = "case_not_found"
    STEP_NOT_ALLOWED = "step_not_allowed"    # not a step of the case's present state


class RatingRefused(HallError):
    """A rating, a case step or a call-back the hall does not take, with the reason; raised
    before anything is written, so the caller's transaction rolls back whole."""

    def __init__(self, reason: RatingRefusal, message: str):
        self.reason = reason
        super().__init__(f"{reason.value}: {message}")
