"""The server's pages: install(app) mounts their routes and static files; the app factory
calls it. What the routes share (rendering, who is logged in) is hall.web.pages.

Pages are HTML shells filled by their own scripts from the API (plain JavaScript with
EventSource; no build step). Everything a page loads is served from here: a hall's network
often reaches nothing else.
"""
from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from hall.web.pages import STATIC
from hall.web.routes import (central_page, console_page, device_health_page, display_page, guides_page,
                             hall_board_page, matters_desk_page, phone_page, progress_page, supervision_page,
                             supervisor_page)

STATIC_PREFIX = "/static"


def install(app: FastAPI) -> None:
    app.mount(STATIC_PREFIX, StaticFiles(directory=STATIC), name="static")
    # The desk's /console/matters before the console's /console/{counter_id}, which would take it.
    for module in (matters_desk_page, console_page, display_page, phone_page, device_health_page, supervisor_page,
                   hall_board_page, guides_page, progress_page, supervision_page, central_page):
        app.include_router(module.router)
