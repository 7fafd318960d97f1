"""Alembic's entry: run on the connection hall.db hands over (inside its transaction and
lock), or, from Alembic's own command line, on `sqlalchemy.url`."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from hall.models import Base

config = context.config


def run(connection) -> None:
    # SQLite cannot alter a column in place: batch mode copies the table instead.
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True,
                      compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    run(connection)
elif context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=Base.metadata,
                      literal_binds=True, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as own:
        run(own)
