"""Running Alembic on a connection that hall.db has already opened and locked."""
from __future__ import annotations

import logging
from pathlib import Path

# Alembic announces each of its plugins as it is imported, one line each at every start:
# quieted before the import below, or it is too late.
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402
from alembic.script import ScriptDirectory  # noqa: E402
from alembic.util import CommandError  # noqa: E402
from sqlalchemy import Connection  # noqa: E402

from hall.errors import SchemaTooNew  # noqa: E402

HERE = Path(__file__).resolve().parent


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
