"""``setup``, ``prove``, ``verify``, ``verify-batch``: keys, proofs and their verification."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import zksolvency
from zksolvency.cli.app import Abort, build_option, config_option, param_option, params_dict, prover_option
from zksolvency.zkcore.keytrust import ASSERTABLE

_file = click.Path(path_type=Path, dir_okay=False)


@click.command()
@config_option
@param_option
@build_option
@click.option("--ptau", type=_file, default=None, help="public ceremony ptau (e.g. powersOfTau28_hez_final_16.ptau)")
@click.option(
    "--ptau-trust",
    type=click.Choice([t.value for t in ASSERTABLE]),
    default=None,
    help="what you checked about --ptau: 'ceremony' once its printed blake2b-512 matches the ceremony's published hash "
    "(not needed for the Hermez final files, whose hashes are pinned)",
)
@click.option(
    "--ptau-blake2b",
    default=None,
    metavar="HEX",
    help="with --ptau-trust ceremony: the ceremony's published blake2b-512 of the file (it must match)",
)
@click.option("--force", is_flag=True, help="redo every step even when cached")
def setup(
    config_name: str | None,
    params: tuple[str, ...],
    build: Path | None,
    ptau: Path | None,
    ptau_trust: str | None,
    ptau_blake2b: str | None,
    force: bool,
) -> None:
    """Compile the circuit, run the Groth16 setup (phase 2 included), export keys and verifier."""
    art = zksolvency.setup(
        config_name,
        params=params_dict(params),
        build_dir=build,
        ptau=ptau,
        ptau_trust=ptau_trust,
        ptau_blake2b=ptau_blake2b,
        force=force,
    )
    m = art.read_manifest()
    r1cs = m.get("r1cs", {})
    constraints = r1cs.get("constraints", "?") if isinstance(r1cs, dict) else "?"
    click.echo(f"circuit        {art.name} ({constraints} constraints)")
    click.echo(f"trust          {m.get('trust', 'unknown')}")
    click.echo(f"setup          {m.get('ptau', '?')}")
    click.echo(f"proving key    {art.zkey}")
    click.echo(f"verification   {art.vkey}")
    click.echo(f"solidity       {art.solidity}")


@click.command()
@click.argument("statement", type=_file)
@click.argument("market", type=_file)
@click.option("-o", "--out", "out", type=_file, required=True, help="bundle file to write")
@prover_option
@config_option
@param_option
@build_option
def prove(
    statement: Path,
    market: Path,
    out: Path,
    prover: str | None,
    config_name: str | None,
    params: tuple[str, ...],
    build: Path | None,
) -> None:
    """Prove the verdict (solvent or not) of the account in a venue's STATEMENT; write a proof bundle."""
    result = zksolvency.prove(
        statement, market, out, config=config_name, params=params_dict(params), build_dir=build, prover=prover
    )
    claims = result.bundle["claims"]
    assert isinstance(claims, dict)
    verdict = "SOLVENT" if claims["solvent"] else "INSOLVENT"
    click.echo(
        f"proved {verdict} for {claims['account']} (index {claims['index']}) at epoch {claims['epoch']}"
        f" in {result.seconds:.1f}s ({result.prover}) -> {out}"
    )


def _key_options(f: Any) -> Any:
    """The options by which the VERIFIER (never the bundle) decides which keys it trusts."""
    for opt in reversed(
        (
            click.option("--vkey", type=_file, default=None, help="trust this verification key file"),
            click.option(
                "--config",
                "config_name",
                default=None,
                help="trust the key `setup` recorded for this instance [default: default, unless --vkey/--trusted-keys]",
            ),
            click.option(
                "--trusted-keys",
                type=_file,
                default=None,
                help="allow-list: one key sha256 per line; a bundle may name any listed key under the build dir",
            ),
            build_option,
            click.option(
                "--allow-insecure-key",
                is_flag=True,
                help="accept keys labelled insecure-beacon or unknown (anyone may be able to forge proofs for them)",
            ),
        )
    ):
        f = opt(f)
    return f


def _binding_options(f: Any) -> Any:
    """What the claims are checked against: a market, a ledger, the enrollment, the chain."""
    for opt in reversed(
        (
            click.option("--market", type=_file, default=None, help="check the proof is for this market (root and epoch)"),
            click.option(
                "--ledger", type=_file, default=None, help="check the proof is for this ledger.json (root, epoch, listed index)"
            ),
            click.option(
                "--indices",
                type=_file,
                default=None,
                help="check the proof's index is the account's enrolled one (a `chain enrolled --json` file)",
            ),
            click.option(
                "--rpc",
                default=None,
                help="check against the deployment on chain: the oracle's market root, the ledger root, the enrolled index",
            ),
            click.option(
                "--deployment",
                type=_file,
                default=None,
                help="with --rpc: the deployment file (default BUILD/chain/deployment.json)",
            ),
        )
    ):
        f = opt(f)
    return f


_INDEX_NOTE = {
    "enrollment": " (the account's enrolled index)",
    "listing": " (from the venue's listing in ledger.json, the venue's word; pass --rpc or --indices to check the enrollment)",
    "claim": " (as claimed; pass --rpc or --indices to check the enrollment)",
}


@click.command()
@click.argument("bundle", type=_file)
@_binding_options
@_key_options
@click.option("--json", "as_json", is_flag=True, help="one JSON object")
def verify(
    bundle: Path,
    market: Path | None,
    ledger: Path | None,
    indices: Path | None,
    rpc: str | None,
    deployment: Path | None,
    vkey: Path | None,
    config_name: str | None,
    trusted_keys: Path | None,
    build: Path | None,
    allow_insecure_key: bool,
    as_json: bool,
) -> None:
    """Verify a proof bundle in Python (BN254 on plain ints): attest or flag, once the market and
    the ledger are checked (--market and --ledger, or --rpc). Exit 0 valid, 1 invalid."""
    from zksolvency.verifier.groth16 import InvalidProof
    from zksolvency.zkcore.keytrust import DESCRIPTION

    try:
        v = zksolvency.verify(
            bundle,
            vkey=vkey,
            market=market,
            ledger=ledger,
            indices=indices,
            rpc=rpc,
            deployment=deployment,
            config=config_name,
            trusted_keys=trusted_keys,
            build_dir=build,
            allow_insecure_key=allow_insecure_key,
        )
    except InvalidProof as e:
        if as_json:
            click.echo(json.dumps({"valid": False, "reason": str(e)}))
            raise click.exceptions.Exit(1) from None
        raise Abort(f"INVALID: {e}", 1) from None
    if as_json:
        click.echo(json.dumps(v.as_json()))
        return
    click.echo(v.headline)
    epoch_note = "" if v.market_checked or v.ledger_checked else " (as claimed; pass --market to check it)"
    ledger_note = "" if v.ledger_checked else " (not checked: no decision; pass --ledger or --rpc)"
    market_note = "" if v.market_checked else " (not checked: no decision; pass --market or --rpc)"
    click.echo(f"  account     {v.account}")
    click.echo(f"  index       {v.index}{_INDEX_NOTE[v.index_source]}")
    click.echo(f"  ledger root {v.ledger_root}{ledger_note}")
    click.echo(f"  market root {v.market_root}{market_note}")
    click.echo(f"  epoch       {v.epoch}{epoch_note}")
    click.echo(f"  key         {v.key_file} (sha256 {v.key_sha256[:16]}...)")
    click.echo(f"  trust       {v.key_trust}: {DESCRIPTION[v.key_trust]}")


@click.command("verify-batch")
@click.argument("bundles", type=click.Path(path_type=Path), nargs=-1, required=True)
@_binding_options
@_key_options
@click.option("--json", "as_json", is_flag=True, help="one JSON object per bundle, one per line")
def verify_batch(
    bundles: tuple[Path, ...],
    market: Path | None,
    ledger: Path | None,
    indices: Path | None,
    rpc: str | None,
    deployment: Path | None,
    vkey: Path | None,
    config_name: str | None,
    trusted_keys: Path | None,
    build: Path | None,
    allow_insecure_key: bool,
    as_json: bool,
) -> None:
    """Verify many bundles with one batched pairing check; name every bundle that fails."""
    from zksolvency.verifier.verify import Verdict

    result = zksolvency.verify_batch(
        list(bundles),
        vkey=vkey,
        market=market,
        ledger=ledger,
        indices=indices,
        rpc=rpc,
        deployment=deployment,
        config=config_name,
        trusted_keys=trusted_keys,
        build_dir=build,
        allow_insecure_key=allow_insecure_key,
    )
    for path, r in result.results:
        if as_json:
            obj = (
                {"bundle": str(path), **r.as_json()}
                if isinstance(r, Verdict)
                else {"bundle": str(path), "valid": False, "reason": r}
            )
            click.echo(json.dumps(obj))
        else:
            click.echo(f"{path}: {r.headline} (key trust: {r.key_trust})" if isinstance(r, Verdict) else f"{path}: INVALID: {r}")
    if not result.all_valid:
        raise click.exceptions.Exit(1)


COMMANDS = (setup, prove, verify, verify_batch)
