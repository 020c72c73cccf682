"""Storing the owner's flows: list, read, save (validated whole), switch on or off, reorder,
delete, and import from the portable form (:meth:`FlowView.to_obj`).

Saving or switching off a flow ends its runs that could no longer go on; a built-in flow
cannot be deleted (:mod:`.builtins`). A missing flow raises
:class:`~minichat_desktop.errors.NotFound` ``flow.not_found``.
"""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from minichat_desktop.domain.bot.flows.definition import DONE, FlowView
from minichat_desktop.domain.bot.flows.validation import flow_error, validate_flow
from minichat_desktop.domain.models import Flow, FlowRun, utcnow
from minichat_desktop.errors import NotFound, UserError


def view_of(f: Flow, runs: int = 0) -> FlowView:
    """The plain-data view of a stored flow (trigger and nodes copied)."""
    return FlowView(
        f.id,
        f.name,
        f.builtin,
        f.enabled,
        copy.deepcopy(dict(f.trigger or {})),
        copy.deepcopy(list(f.nodes or [])),
        f.position,
        runs,
    )


def list_flows(session: Session) -> list[FlowView]:
    """Every flow in the order they are tried, with the number of runs each has started."""
    counts = dict(
        session.execute(select(FlowRun.flow_id, func.count()).group_by(FlowRun.flow_id)).all()
    )
    rows = session.scalars(select(Flow).order_by(Flow.position, Flow.id))
    return [view_of(f, int(counts.get(f.id, 0))) for f in rows]


def load_flow(session: Session, flow_id: int) -> Flow:
    """The stored flow; :class:`NotFound` ``flow.not_found``."""
    f = session.get(Flow, flow_id)
    if f is None:
        raise NotFound("flow.not_found", f"no flow {flow_id}", id=flow_id)
    return f


def get_flow(session: Session, flow_id: int) -> FlowView:
    """One flow; :class:`NotFound` ``flow.not_found``."""
    return view_of(load_flow(session, flow_id))


def save_flow(
    session: Session,
    name: Any,
    trigger: Any,
    nodes: Any,
    *,
    flow_id: int | None = None,
    enabled: bool = True,
) -> FlowView:
    """Create (``flow_id`` None) or replace a flow after validating all of it; nothing is
    stored when any part is wrong."""
    name, trigger, clean = validate_flow(name, trigger, nodes)
    if flow_id is None:
        last = session.scalar(select(func.max(Flow.position))) or 0
        f = Flow(name=name, builtin="", position=last + 1, updated_at=utcnow())
        session.add(f)
    else:
        f = load_flow(session, flow_id)
    _switch(f, enabled)
    f.name, f.trigger, f.nodes = name, trigger, clean
    f.updated_at = utcnow()
    session.flush()
    if flow_id is not None:
        # Runs of the old version may stand on a node that no longer exists.
        ids = {n["id"] for n in clean}
        for run in session.scalars(
            select(FlowRun).where(FlowRun.flow_id == f.id, FlowRun.status != DONE)
        ):
            if run.node_id not in ids:
                run.status = DONE
    return view_of(f)


def set_enabled(session: Session, flow_id: int, enabled: bool) -> FlowView:
    """Switch a flow on or off; switching off ends its runs."""
    f = load_flow(session, flow_id)
    _switch(f, enabled)
    f.updated_at = utcnow()
    if not enabled:
        for run in session.scalars(
            select(FlowRun).where(FlowRun.flow_id == flow_id, FlowRun.status != DONE)
        ):
            run.status = DONE
    session.flush()
    return view_of(f)


def _switch(f: Flow, enabled: bool) -> None:
    """Switch on or off; switching on (from off, or a new flow) starts its events from now."""
    if enabled and (not f.enabled or f.enabled_at is None):
        f.enabled_at = utcnow()
    f.enabled = bool(enabled)


def delete_flow(session: Session, flow_id: int) -> None:
    """Delete a flow (its runs go with it). A built-in flow is switched off instead: it would
    come back on the next start."""
    f = load_flow(session, flow_id)
    if f.builtin:
        raise UserError(
            "flow.builtin_delete",
            f"{f.name} is built in: switch it off instead of deleting it",
            name=f.name,
        )
    for run in session.scalars(select(FlowRun).where(FlowRun.flow_id == flow_id)):
        session.delete(run)
    session.delete(f)
    session.flush()


def move_flow(session: Session, flow_id: int, delta: int) -> list[FlowView]:
    """Move a flow up (-1) or down (+1): earlier flows are tried first."""
    rows = list(session.scalars(select(Flow).order_by(Flow.position, Flow.id)))
    idx = next((i for i, f in enumerate(rows) if f.id == flow_id), None)
    if idx is None:
        raise NotFound("flow.not_found", f"no flow {flow_id}", id=flow_id)
    j = max(0, min(len(rows) - 1, idx + delta))
    rows.insert(j, rows.pop(idx))
    for pos, f in enumerate(rows, 1):
        f.position = pos
    session.flush()
    return list_flows(session)


def import_flow(session: Session, obj: Any) -> FlowView:
    """A flow from its exported form (a new flow; ids of button targets are kept as they are)."""
    if not isinstance(obj, dict):
        raise flow_error(None, "", "nodes", "invalid", "the file holds no flow object")
    return save_flow(
        session,
        obj.get("name", ""),
        obj.get("trigger"),
        obj.get("nodes"),
        enabled=bool(obj.get("enabled", True)),
    )
