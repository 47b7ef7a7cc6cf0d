"""Reads of the unit tree."""

from __future__ import annotations

from typing import Any

from apps.organisation.models import Unit


def top_unit(unit: Unit) -> Unit:
    """The province or ministry the unit belongs to (itself at the top): whose registers it reads."""
    return unit if unit.parent_id is None else Unit.objects.get(code=unit.root_code)


def subtree(unit: Unit) -> list[Unit]:
    """The unit and its descendants in path order: one indexed query."""
    return list(Unit.objects.subtree_of(unit).select_related("parent"))


def nested_tree(unit: Unit) -> dict[str, Any]:
    """The subtree as nested dicts, built from the single flat query (no recursive SQL)."""
    nodes: dict[int, dict[str, Any]] = {}
    root: dict[str, Any] | None = None
    for item in Unit.objects.subtree_of(unit).only("id", "code", "name", "kind", "parent_id"):
        node = {"code": item.code, "name": item.name, "kind": item.kind, "children": []}
        nodes[item.id] = node
        if item.id == unit.id:
            root = node
        elif item.parent_id in nodes:
            nodes[item.parent_id]["children"].append(node)
    assert root is not None
    return root
