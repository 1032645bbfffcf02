"""Trust labels of Groth16 keys: where a key's powers of tau came from, and who could forge with it.

In snarkjs the powers of tau fix tau, alpha and beta (phase 1); the phase-2 contribution only
randomises delta. Whoever knows alpha and beta forges a proof for ANY public signals from the
verification key alone (A = C = (alpha*beta)*G1 + vk_x, B = G2 + delta). So a key is only as good
as its phase 1:

- ``ceremony``: ``setup --ptau FILE --ptau-trust ceremony``: the operator compared the file's
  BLAKE2b-512 (printed by ``setup`` and recorded in the key) with a public ceremony's published
  hash (e.g. Hermez ``powersOfTau28_hez_final_NN``); sound if one contributor discarded their
  secret. Nothing in the file itself can show this: its contribution records are unauthenticated.
- ``single-party-development``: one party's secret: ``shared/ptau/dev_16.ptau`` (pinned by sha256),
  a ptau ``setup`` made locally with fresh OS entropy, or an operator's own file asserted with
  ``--ptau-trust single-party-development``. Nobody can derive alpha and beta from public data,
  but its maker could have kept them: fine for development and tests, not for value.
- ``insecure-beacon``: phase 1 has no contribution except public beacons. alpha and beta follow
  from the file itself: ANYONE can forge proofs.
- ``unknown``: nothing vouches for the phase 1: a ``--ptau`` file nobody asserted, or a key made
  elsewhere or by an older zksolvency.

The label is written by ``setup`` into ``verification_key.json`` (``zksolvency_setup.trust``) and is
covered by the key's sha256. A verifier reads it from the key file IT chose, never from a bundle.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class Trust(StrEnum):
    """A key's trust label, by the string the key files, manifests and Solidity headers hold (a
    string enum: it prints, compares and serialises as that string)."""

    CEREMONY = "ceremony"
    SINGLE_PARTY_DEV = "single-party-development"
    INSECURE_BEACON = "insecure-beacon"
    UNKNOWN = "unknown"


#: Labels a verifier or a deployment accepts without ``--allow-insecure-key``.
ACCEPTED = frozenset({Trust.CEREMONY, Trust.SINGLE_PARTY_DEV})
#: What an operator may assert about a ``setup --ptau`` file (``--ptau-trust``).
ASSERTABLE = (Trust.CEREMONY, Trust.SINGLE_PARTY_DEV)

#: One line per label, for ``verify`` and the demo.
DESCRIPTION = {
    Trust.CEREMONY: "public ceremony ptau (sound if one contributor discarded their secret)",
    Trust.SINGLE_PARTY_DEV: "single-party development ptau (OS entropy, discarded): development and tests only, not for value",
    Trust.INSECURE_BEACON: "INSECURE: beacon-only ptau, anyone can forge proofs for this key",
    Trust.UNKNOWN: "INSECURE: unknown provenance (no zksolvency trust label)",
}


def key_trust(vkey: dict[str, Any]) -> Trust:
    """The trust label a verification key carries, or ``unknown``."""
    setup = vkey.get("zksolvency_setup")
    trust = setup.get("trust") if isinstance(setup, dict) else None
    labelled = (Trust.CEREMONY, Trust.SINGLE_PARTY_DEV, Trust.INSECURE_BEACON)
    return Trust(trust) if isinstance(trust, str) and trust in labelled else Trust.UNKNOWN


def key_circuit(vkey: dict[str, Any]) -> str | None:
    """The circuit instance the key was set up for, when it says so."""
    setup = vkey.get("zksolvency_setup")
    circuit = setup.get("circuit") if isinstance(setup, dict) else None
    return circuit if isinstance(circuit, str) else None


def key_ptau(vkey: dict[str, Any]) -> str:
    """Which ptau the key came from (file name and sha256 prefix), for display."""
    setup = vkey.get("zksolvency_setup")
    if not isinstance(setup, dict):
        return "?"
    name, sha = setup.get("ptau_file"), setup.get("ptau_sha256")
    if isinstance(name, str) and isinstance(sha, str):
        return f"{name} (sha256 {sha[:16]}...)"
    return str(setup.get("ptau", "?"))
