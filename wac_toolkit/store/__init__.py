"""Where logs, terminals and credentials are kept."""

from .base import LOG_COLUMNS, LogQuery, Store
from .sqlite import SQLiteStore

__all__ = ["LOG_COLUMNS", "LogQuery", "SQLiteStore", "Store"]
