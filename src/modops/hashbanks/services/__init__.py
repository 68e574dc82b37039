"""Hash bank services: banks and hashes, the per-process index, and matching uploads."""

from modops.hashbanks.services.banks import (
    BankSettings,
    ImportResult,
    add_hash,
    bank_edited,
    bank_stats,
    configure_bank,
    create_bank,
    export_bank,
    get_bank,
    import_bank_file,
    remove_hash,
    set_hash_enabled,
)
from modops.hashbanks.services.index import current_index, forget_index
from modops.hashbanks.services.matching import MediaRejected, hash_media, match_file, submit_media

__all__ = [
    "BankSettings",
    "ImportResult",
    "MediaRejected",
    "add_hash",
    "bank_edited",
    "bank_stats",
    "configure_bank",
    "create_bank",
    "current_index",
    "export_bank",
    "forget_index",
    "get_bank",
    "hash_media",
    "import_bank_file",
    "match_file",
    "remove_hash",
    "set_hash_enabled",
    "submit_media",
]
