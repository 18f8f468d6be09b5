"""Figures and related links an export item shows, computed from the store.

The draft asks here for each item's `metrics` and `links`, so that derived figures
(stars gained since the last issue, a paper's code repository and its stars) live in
one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pipeline.store import Store
from schemas import Item


def enrich(store: Store, items: Sequence[Item], since: datetime | None, now: datetime) -> dict[str, tuple[dict[str, int | float], dict[str, Any]]]:
    """For each item id: (metrics, links) for its export entry.

    `since` is the start of the issue (the previous published issue), used for
    figures such as `stars_gained`.
    """
    return {item.id: (dict(item.record.metrics()), dict(item.record.links())) for item in items}
