"""Alembic environment for the shop database.

Run through :mod:`minichat_desktop.storage.migrate` (which passes an open connection), or by hand
with ``alembic -x db=PATH upgrade head`` from the project folder.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import create_engine

from minichat_desktop.domain.models import Base

config = context.config
target_metadata = Base.metadata

# Tables the models do not describe: the FTS5 search index and its shadow tables.
_UNMANAGED_PREFIXES = ("product_search",)


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    return not (type_ == "table" and name is not None and name.startswith(_UNMANAGED_PREFIXES))


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        path = context.get_x_argument(as_dictionary=True).get("db")
        if not path:
            raise SystemExit("give the database: alembic -x db=PATH upgrade head")
        engine = create_engine(f"sqlite:///{path}")
        with engine.connect() as conn:
            _run(conn)
        return
    _run(connection)


def _run(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        include_object=include_object,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
