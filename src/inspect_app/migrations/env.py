"""Alembic environment: the URL comes from the caller (inspect-app db upgrade), never a file."""

from __future__ import annotations

from alembic import context
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel

import inspect_app.models

config = context.config
target_metadata = SQLModel.metadata


def render_item(type_, obj, _context):
    """Our column types (UTC timestamps, enum strings) are written as their plain SQL types."""
    if type_ == "type" and isinstance(obj, TypeDecorator):
        return f"sa.{obj.impl!r}"
    return False


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("Run migrations through `inspect-app db upgrade`.")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
