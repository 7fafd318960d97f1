"""The states of a case (办件) and the steps between them, as one table."""
from __future__ import annotations

import enum

from hall.errors import HallError


class MatterState(str, enum.Enum):
    ACCEPTED = "accepted"                # 受理
    IN_PROGRESS = "in_progress"          # 办理中
    WAITING_DOCUMENTS = "waiting_documents"  # 补正: the clock stops until the documents come
    COMPLETED = "completed"              # 办结
    NOT_ACCEPTED = "not_accepted"        # 不予受理, with a reason
    RETURNED = "returned"                # 退件, with a reason


class MatterStep(str, enum.Enum):
    START = "start"                      # work begins
    REQUEST_DOCUMENTS = "request_documents"
    RESUME = "resume"                    # the documents owed came
    COMPLETE = "complete"
    RETURN = "return"
    REFUSE = "refuse"                    # 不予受理 on review, with a reason: a case accepted below, by the level
                                         # that decides it


OPEN_STATES = (MatterState.ACCEPTED, MatterState.IN_PROGRESS, MatterState.WAITING_DOCUMENTS)
CLOSED_STATES = (MatterState.COMPLETED, MatterState.NOT_ACCEPTED, MatterState.RETURNED)

STEPS: dict[tuple[MatterState, MatterStep], MatterState] = {
    (MatterState.ACCEPTED, MatterStep.START): MatterState.IN_PROGRESS,
    (MatterState.ACCEPTED, MatterStep.REQUEST_DOCUMENTS): MatterState.WAITING_DOCUMENTS,
    (MatterState.ACCEPTED, MatterStep.COMPLETE): MatterState.COMPLETED,
    (MatterState.ACCEPTED, MatterStep.RETURN): MatterState.RETURNED,
    (MatterState.ACCEPTED, MatterStep.REFUSE): MatterState.NOT_ACCEPTED,
    (MatterState.IN_PROGRESS, MatterStep.REQUEST_DOCUMENTS): MatterState.WAITING_DOCUMENTS,
    (MatterState.IN_PROGRESS, MatterStep.COMPLETE): MatterState.COMPLETED,
    (MatterState.IN_PROGRESS, MatterStep.RETURN): MatterState.RETURNED,
    (MatterState.WAITING_DOCUMENTS, MatterStep.RESUME): MatterState.IN_PROGRESS,
    (MatterState.WAITING_DOCUMENTS, MatterStep.RETURN): MatterState.RETURNED,
}


REASONED = (MatterStep.RETURN, MatterStep.REFUSE)  # the steps that need their reason
DECIDING_ONLY = (MatterStep.REFUSE,)  # the steps of a case the deciding level took in from below


class Light(str, enum.Enum):
    """An open case's light (电子监察)."""

    GREEN = "green"
    YELLOW = "yellow"    # its deadline is near
    RED = "red"          # overdue


class MatterRefusal(str, enum.Enum):
    NOT_FOUND = "not_found"                  # no such case in this hall
    UNKNOWN_MATTER = "unknown_matter"        # no such matter in the catalogue
    UNKNOWN_TICKET = "unknown_ticket"        # no such ticket in this hall
    STEP_NOT_ALLOWED = "step_not_allowed"    # not from the case's state
    REASON_REQUIRED = "reason_required"      # not accepting or returning needs a reason
    AGENT_NOT_OFFERED = "agent_not_offered"  # the matter is not carried by agents here
    UNKNOWN_DOCUMENT = "unknown_document"    # no such document in the matter's list
    DECIDED_ABOVE = "decided_above"          # the case went up: its steps come from the level that decides it


class MatterRefused(HallError):
    """A case operation the hall does not do, with the reason; nothing was written."""

    def __init__(self, reason: MatterRefusal, message: str):
        self.reason = reason
        super().__init__(message)
