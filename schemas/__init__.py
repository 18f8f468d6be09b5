"""Pydantic records: the only language spoken between connectors, pipeline and exports.

This package imports nothing of ours. Every timestamp is timezone-aware UTC.
"""

from schemas.export import (
    SECTION_TITLES,
    Annotation,
    ExportDocument,
    ExportItem,
    IssueInfo,
    Section,
    SectionKey,
)
from schemas.item import Item, ItemStatus
from schemas.records import (
    STORED,
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
    "STORED",
    "Section",
    "SectionKey",
    "SourceRef",
    "Video",
    "record_adapter",
]
