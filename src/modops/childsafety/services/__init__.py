"""Child-safety services: quarantine on a match, cleared access to evidence, retention, NCMEC reports."""

from modops.childsafety.services.evidence import (
    Rendition,
    get_evidence,
    purge_expired,
    set_legal_hold,
    view_media,
)
from modops.childsafety.services.reports import (
    NcmecNotConfigured,
    configured_client,
    confirm_report,
    get_report,
    submit_report,
)

__all__ = [
    "NcmecNotConfigured",
    "Rendition",
    "configured_client",
    "confirm_report",
    "get_evidence",
    "get_report",
    "purge_expired",
    "set_legal_hold",
    "submit_report",
    "view_media",
]
