"""Limits on what a terminal may make us store.

Any device that reaches the port can send anything, and every value it sends ends up in an
index, a log row or a roster table. These limits are far above what real firmware sends
(serials of 8 to 20 characters, names of at most 24 to 32, batches of at most a few hundred
records, face photos of some hundred kB, some MB at most) and far below what hurts. An oversized value is
refused with a short reason and never stored.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from .protocol.models import BackupNum, DeviceInfo, LogRecord, UserCredential

__all__ = [
    "MAX_DEVINFO_KEYS",
    "MAX_IMAGE",
    "MAX_NAME",
    "MAX_RECORDS",
    "MAX_SN",
    "MAX_TEMPLATE",
    "MAX_TEXT",
    "check_credential",
    "check_reg",
    "check_records",
    "valid_sn",
]

log = logging.getLogger(__name__)

MAX_SN = 64
"""A serial number: at most this many printable ASCII characters."""
MAX_TEXT = 128
"""cpusn, MAC, model, firmware and any other devinfo text."""
MAX_DEVINFO_KEYS = 64
MAX_NAME = 64
"""A person's name, in characters (terminals show 24 to 32)."""
MAX_RECORDS = 1000
"""Records in one ``sendlog`` or pulled page."""
MAX_NUMERIC = 32
"""A PIN or card number, in characters."""
MAX_TEMPLATE = 64 * 1024
"""A fingerprint, face or palm template (base64 text)."""
MAX_IMAGE = 8 * 2**20
"""A photo (enrolment or punch), base64 text."""


def valid_sn(sn: Any) -> bool:
    """1 to 64 printable ASCII characters, no spaces (it is typed on command lines)."""
    return isinstance(sn, str) and 0 < len(sn) <= MAX_SN and all(" " < c < "\x7f" for c in sn)


def check_reg(info: DeviceInfo) -> tuple[DeviceInfo | None, str | None]:
    """The ``reg`` to keep, or a short reason to refuse it.

    The serial and the identity fields (pinned at adoption) are refused when oversized;
    other devinfo keys beyond the limits are dropped (they are informational).
    """
    if not valid_sn(info.sn):
        return None, "invalid serial number"
    for key in ("cpusn", "mac", "modelname", "firmware", "fpalgo", "time"):
        value = getattr(info, key)
        if value is not None and len(value) > MAX_TEXT:
            return None, f"{key} too long"
    extra = info.extra
    if len(extra) > MAX_DEVINFO_KEYS or any(_too_big(k, v) for k, v in extra.items()):
        kept = {k: v for k, v in extra.items() if not _too_big(k, v)}
        extra = dict(list(kept.items())[:MAX_DEVINFO_KEYS])
        log.info(
            "terminal %s: %d oversized devinfo keys dropped", info.sn, len(info.extra) - len(extra)
        )
        info = replace(info, extra=extra)
    return info, None


def _too_big(key: Any, value: Any) -> bool:
    if len(str(key)) > MAX_TEXT:
        return True
    if isinstance(value, str):
        return len(value) > MAX_TEXT
    if isinstance(value, (dict, list)):
        return len(repr(value)) > MAX_TEXT * 4
    return False


def check_records(
    sn: str, records: tuple[LogRecord, ...]
) -> tuple[tuple[LogRecord, ...], str | None]:
    """The records to store, or a reason to refuse the batch (too many records).

    An oversized name or punch photo is dropped from its record (the record itself, who and
    when, is kept: refusing it would make the terminal send it again forever).
    """
    if len(records) > MAX_RECORDS:
        return (), "too many records"
    for record in records:  # a plain loop: this runs for every record on the ingest path
        name, image = record.name, record.image
        if (name is not None and len(name) > MAX_NAME) or (
            image is not None and len(image) > MAX_IMAGE
        ):
            break
    else:
        return records, None
    cleaned = []
    for record in records:
        if _oversized_record(record):
            log.warning("terminal %s: oversized name or photo dropped from a record", sn)
            record = replace(
                record,
                name=None if record.name and len(record.name) > MAX_NAME else record.name,
                image=None if record.image and len(record.image) > MAX_IMAGE else record.image,
            )
        cleaned.append(record)
    return tuple(cleaned), None


def _oversized_record(record: LogRecord) -> bool:
    return bool(
        (record.name and len(record.name) > MAX_NAME)
        or (record.image and len(record.image) > MAX_IMAGE)
    )


def check_credential(credential: UserCredential) -> str | None:
    """A reason to refuse a pushed credential, or None."""
    if credential.name and len(credential.name) > MAX_NAME:
        return "name too long"
    record = credential.record
    if record is None or isinstance(record, int):
        return None if record is None or abs(record) < 10**MAX_NUMERIC else "record too long"
    slot = credential.backupnum
    if slot.is_numeric:
        limit = MAX_NUMERIC
    elif slot == BackupNum.PHOTO:
        limit = MAX_IMAGE
    else:
        limit = MAX_TEMPLATE
    return "record too long" if len(record) > limit else None
