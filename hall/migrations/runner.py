"""Running Alembic on a connection that hall.db has already opened and locked."""
from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection

from hall.errors import SchemaTooNew

HERE = Path(__file__).resolve().parent
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)  # one line per plugin at every start


def config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.attributes["connection"] = connection
    return cfg


def head() -> str:
    return ScriptDirectory.from_config(config()).get_current_head()


def stamp(connection: Connection, revision: str) -> None:
    command.stamp(config(connection), revision)


def upgrade(connection: Connection) -> None:
    script = ScriptDirectory.from_config(config())
    stored = connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    try:
        script.get_revision(stored)
    except CommandError:
        raise SchemaTooNew(
            f"the database is at schema revision {stored!r}, written by a newer release of hall-kiosk; "
            f"this release knows revisions up to {script.get_current_head()!r}. Install the newer "
            "release, or restore the copy of the database taken before it was upgraded") from None
    command.upgrade(config(connection), "head")
