"""One router per resource, assembled under /api/v1 in hall.api.main."""
