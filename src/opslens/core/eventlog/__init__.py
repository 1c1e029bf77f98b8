"""Event-log import: readers, column mapping, validation and the canonical event table."""

from opslens.core.eventlog.log import (
    MAX_LISTED_REJECTIONS,
    EventLog,
    RejectedRow,
    default_timezone,
    event_log_from_arrow,
    read_event_log,
)
from opslens.core.eventlog.mapping import ROLES, ColumnMapping, suggest_mapping
from opslens.core.eventlog.readers import detect_encoding, detect_format

__all__ = [
    "MAX_LISTED_REJECTIONS",
    "ROLES",
    "ColumnMapping",
    "EventLog",
    "RejectedRow",
    "default_timezone",
    "detect_encoding",
    "detect_format",
    "event_log_from_arrow",
    "read_event_log",
    "suggest_mapping",
]
