"""Requests to running daemons through the database (`monitor reload`) and their answers."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from monitor.store.base import StoreBase, table_of
from monitor.store.models import ControlRow

_CONTROL = table_of(ControlRow)
_INSERT: dict[str, Any] = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


@dataclass(frozen=True, slots=True)
class ControlState:
    """The latest request of one kind and the latest answer a daemon gave."""

    requested_at: datetime | None
    answered_at: datetime | None
    answer: str | None


class ControlStore(StoreBase):
    """Use-case methods of `monitor reload`; see the module docstring."""

    def control_state(self, name: str) -> ControlState:
        """The request `name` as last made and answered (all None: never)."""
        c = _CONTROL.c
        with self.db.read() as s:
            row = (
                s.connection()
                .execute(sa.select(c.requested_at, c.answered_at, c.answer).where(c.name == name))
                .one_or_none()
            )
        return ControlState(*row) if row is not None else ControlState(None, None, None)

    def request_control(self, name: str, now: datetime) -> None:
        """Ask running daemons to do `name` (they look on their next tick)."""
        self._upsert(name, requested_at=now)

    def answer_control(self, name: str, answer: str, now: datetime) -> None:
        """Record a daemon's answer to `name`."""
        self._upsert(name, answered_at=now, answer=answer[:2000])

    def _upsert(self, name: str, **values: Any) -> None:
        insert = _INSERT[self.db.dialect](_CONTROL).values(name=name, **values)
        with self.db.write() as s:
            s.connection().execute(
                insert.on_conflict_do_update(index_elements=["name"], set_=values)
            )
