"""Pydantic records: the only language spoken between connectors, pipeline and exports.

This package imports nothing of ours. Every timestamp is timezone-aware UTC.
"""

from schemas.export import (
    Annotation,
    ExportDocument,
    ExportItem,
    IssueInfo,
    Section,
    SECTION_TITLES,
    SectionKey,
)
from schemas.records import (
    Article,
    Extra,
    Kind,
    Paper,
    Playlist,
    PlaylistVideo,
    Record,
    Release,
    Repo,
    SourceRef,
    Video,
    record_adapter,
)
from schemas.item import Item, ItemStatus

__all__ = [
    "Annotation",
    "Article",
    "ExportDocument",
    "ExportItem",
    "Extra",
    "IssueInfo",
    "Item",
    "ItemStatus",
    "Kind",
    "Paper",
    "Playlist",
    "PlaylistVideo",
    "Record",
    "Release",
    "Repo",
    "SECTION_TITLES",
    "Section",
    "SectionKey",
    "SourceRef",
    "Video",
    "record_adapter",
]
