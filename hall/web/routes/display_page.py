"""The hall display (叫号大屏): public, read-only, for a 1920×1080 screen in the hall."""
from __future__ import annotations

from fastapi import APIRouter, Request

from hall.web.pages import page

router = APIRouter(include_in_schema=False)


@router.get("/display")
def display(request: Request):
    return page(request, "display.html")
