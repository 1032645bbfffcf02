"""What may go on chain: the verification key beside a generated verifier, checked (its verifiers
regenerated, its trust label accepted), and the ledger capacity its circuit fixes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from zksolvency.zkcore.errors import InputError

if TYPE_CHECKING:
    from zksolvency.verifier.verify import TrustedKey


def ledger_capacity(vkey: Path) -> int:
    """2^LD of the circuit a verification key was set up for (its ``zksolvency_setup.params``)."""
    params = json.loads(vkey.read_text()).get("zksolvency_setup", {}).get("params")
    ld = params.get("LD") if isinstance(params, dict) else None
    if not isinstance(ld, int) or isinstance(ld, bool) or not 1 <= ld <= 63:
        raise InputError(str(vkey), "zksolvency_setup.params.LD", "no ledger depth recorded: deploy with an explicit capacity")
    return int(2**ld)


def deployable_key(verifier_sol: Path, allow_insecure_key: bool = False) -> TrustedKey:
    """The verification key beside a generated verifier, checked before it goes on chain: the
    verifier files there must be exactly the ones regenerated from that key
    (:func:`~zksolvency.onchain.solc.checked_verifiers`), and the key must carry an accepted trust
    label unless ``allow_insecure_key``."""
    from zksolvency.onchain.solc import checked_verifiers
    from zksolvency.verifier.verify import load_key
    from zksolvency.zkcore.keytrust import ACCEPTED, DESCRIPTION

    vkey = verifier_sol.parent / "verification_key.json"
    if not vkey.is_file():
        raise InputError(str(vkey), None, "no verification key beside the verifier: its provenance is unknown")
    key = load_key(vkey)
    checked_verifiers(verifier_sol)
    if key.trust not in ACCEPTED and not allow_insecure_key:
        raise InputError(
            str(vkey),
            "zksolvency_setup.trust",
            f"key labelled {key.trust.value!r} ({DESCRIPTION[key.trust]}); refused without --allow-insecure-key",
        )
    return key
