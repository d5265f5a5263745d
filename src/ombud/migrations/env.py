"""Alembic environment: runs against the engine handed in by ``ombud migrate``."""

from __future__ import annotations

from alembic import context

from ombud.metadata import metadata

config = context.config


def run() -> None:
    """Run migrations on the connection in ``config.attributes['connection']``."""
    connection = config.attributes["connection"]
    context.configure(
        connection=connection, target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite", compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
