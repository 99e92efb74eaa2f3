"""The facts about the data a plan relies on: declared contracts verified to hold on the data
(docs/contracts.md, "What the planner uses").

A plan takes a shortcut only when `Verification` says a contract stating the fact was checked
against the data and passed; otherwise it keeps the plan that needs no assumption, so a broken
or missing contract never changes a number. Asking verifies the contract (once per loaded
project), so only the facts a plan could use are asked about. The plan records each contract
it relied on (`Plan.relies_on`, shown by `explain`), and the engines read the plan only:

- **A complete link** (`expect account_id in accounts` and `expect account_id is not null`):
  every row of a per-entity level's scan names one of the level's members
  (`SourceScan.entity_complete`).
- **Rows after their member exists** (`expect started_at >= accounts.signed_up_at`, on the
  time a scan places its rows by): nothing of a member is in force, or happens, before the
  member exists, so its cells before then are empty (`EntityMembers.rows_after_time`).
- **Members' times known** (`expect signed_up_at is not null` on the members' source), with
  the two above: every row is in a cell of its member's entity set
  (`EntityMembers.time_known`).
"""

from __future__ import annotations

import attrs

from metricsmith.check.checked import CheckedProject
from metricsmith.model import bound as b
from metricsmith.model.contracts import Contract, ContractKind, Verification, conjuncts
from metricsmith.plan.nodes import (
    EventTime,
    Level,
    Pass,
    PerLevel,
    Plan,
    Reliance,
    ScanPhysical,
    SourceScan,
    StateTime,
)


def relying_on_facts(plan: Plan, project: CheckedProject, facts: Verification) -> Plan:
    """The plan with the shortcuts the verified facts allow recorded in its nodes."""
    found: list[Reliance] = []
    top = _level(plan.top, project, facts, found)
    return attrs.evolve(plan, top=top, relies_on=tuple(dict.fromkeys(found)))


def _level(
    level: Level, project: CheckedProject, facts: Verification, found: list[Reliance]
) -> Level:
    children = tuple(_child(child, level, project, facts, found) for child in level.children)
    return attrs.evolve(level, children=children)


def _child(
    child: PerLevel,
    parent: Level,
    project: CheckedProject,
    facts: Verification,
    found: list[Reliance],
) -> PerLevel:
    level = _level(child.level, project, facts, found)
    members = level.members
    if members is None or not level.scans:
        return attrs.evolve(child, level=level)
    # Completeness matters where the parent totals the same source (a roll-up of the
    # child's pass, execute/sql/rollups.py): only there is it asked about and relied on.
    totalled = {scan.source for scan in parent.scans if scan.entity is None}
    scans = tuple(
        _complete(scan, members.source, project, facts, found) if scan.source in totalled else scan
        for scan in level.scans
    )
    level = attrs.evolve(level, scans=scans)
    if not (child.prunes and any(_running(p) for p in level.physical)):
        # Only a level computing the cells that can matter, with running totals, looks for
        # where those first change (execute/sql/members.py): nothing to skip otherwise.
        return attrs.evolve(child, level=level)
    after = [_after_time(s, members.source, members.time, project, facts) for s in scans]
    if members.time is not None and all(after):
        found += [Reliance(c, "cells before a member exists are empty") for c in after if c]
        # With complete links too, the parent's totals can be added up over the member's
        # cells (execute/sql/rollups.py), if no member lacks the time it exists from.
        known = facts.present(members.source, members.time)
        if any(scan.entity_complete for scan in scans):
            found += [Reliance(c, "every member exists from a known time") for c in known]
        else:
            known = ()
        members = attrs.evolve(members, rows_after_time=True, time_known=bool(known))
        level = attrs.evolve(level, members=members)
    return attrs.evolve(child, level=level)


def _running(physical: ScanPhysical) -> bool:
    """Whether a scan's pass gives running totals (ranged, or counting a sibling's)."""
    return physical.pass_ == Pass.RANGED or physical.counts is not None


def _entity_link(scan: SourceScan, target: str, project: CheckedProject) -> str | None:
    """The link column a scan's rows name their entity by, when it links to `target`."""
    entity = scan.entity
    if not isinstance(entity, b.BColumn) or entity.path or entity.source != scan.source:
        return None
    links = project.sources[scan.source].links
    return entity.column if links.get(entity.column) == target else None


def _complete(
    scan: SourceScan,
    target: str,
    project: CheckedProject,
    facts: Verification,
    found: list[Reliance],
) -> SourceScan:
    link = _entity_link(scan, target, project)
    contracts = () if link is None else facts.complete_link(scan.source, link, target)
    if not contracts:
        return scan
    found += [Reliance(c, "every row names a member") for c in contracts]
    return attrs.evolve(scan, entity_complete=True)


def _after_time(
    scan: SourceScan,
    target: str,
    time: str | None,
    project: CheckedProject,
    facts: Verification,
) -> Contract | None:
    """The verified contract saying each of the scan's rows is placed at or after its
    member's `time` (None when none does)."""
    link = _entity_link(scan, target, project)
    if link is None or time is None:
        return None
    match scan.time:
        case StateTime(start=column) | EventTime(column=column):
            placed = project.sources[scan.source].value_of(column)
        case None:
            return None
    exists = b.rebase(project.sources[target].value_of(time), (link,))
    for contract in facts.contracts:
        if contract.source != scan.source or contract.kind is not ContractKind.CONDITION:
            continue
        assert contract.condition is not None
        parts = conjuncts(contract.condition)
        if any(_at_or_after(part, placed, exists) for part in parts) and facts.holds(contract):
            return contract
    return None


def _at_or_after(condition: b.BExpr, later: b.BExpr, earlier: b.BExpr) -> bool:
    """Whether the condition is `later >= earlier` (or `earlier <= later`, or strictly)."""
    if not isinstance(condition, b.BBinary):
        return False
    # Spans are not compared: formulas written apart are equal when they read the same.
    pair = (condition.left, condition.right)
    if condition.op in (">=", ">"):
        return pair == (later, earlier)
    if condition.op in ("<=", "<"):
        return pair == (earlier, later)
    return False
