"""The hall's public information (政务公开), for anyone and without signing in, readable on a
phone: the guides of its matters (办事指南) by service and each guide in full, the
responsibility list (责任清单: each matter with its department, post and person) and the
contact table (department, phone, supervision phone). No personal data of any citizen."""
from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Path, Request

from hall.matters.catalogue import CODE
from hall.web.pages import page, texts_for

router = APIRouter(include_in_schema=False)


@router.get("/guides")
def guides(request: Request):
    hall = request.app.state.hall
    texts = texts_for(request)
    language = texts.language
    services = [{"name": s.name.get(language), "entries": hall.catalogue.for_service(s.code)}
                for s in hall.spec.services if hall.catalogue.for_service(s.code)]
    return page(request, "guides.html", texts=texts, services=services)


@router.get("/guides/responsibilities")
def responsibilities(request: Request):
    return page(request, "responsibilities.html", entries=request.app.state.hall.catalogue.entries)


@router.get("/guides/contacts")
def contacts(request: Request):
    return page(request, "contacts.html", departments=request.app.state.hall.catalogue.departments)


@router.get("/guides/{code}")
def guide(request: Request, code: Annotated[str, Path(max_length=64)]):
    hall = request.app.state.hall
    texts = texts_for(request)
    entry = hall.catalogue.entry(code) if re.fullmatch(CODE, code) else None
    if entry is None:
        return page(request, "message.html", status_code=404, texts=texts, title=texts("guides.missing"),
                    message=texts("guides.missing"), link="/guides", link_text=texts("guides.title"))
    return page(request, "guide.html", texts=texts, entry=entry)
