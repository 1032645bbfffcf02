"""The keeper as a real process against a real anvil (SPEC §8): it flags exactly the enrolled
accounts without an attestation once their grace period is over, none before; a second keeper
beside it sets no flag twice; it carries on across a node restart (state kept with anvil --state)
and resumes after its own restart from the chain alone."""

from __future__ import annotations

from collections import Counter

from web3.types import RPCEndpoint
from zksolvency.onchain.keeper import Keeper, TickResult

from tests.helpers.keeper import (
    EXTRA,
    Venue,
    metric,
    metrics,
    race,
    set_time,
    start_keeper,
    stop_keeper,
    ticks_pass,
    wait_for,
)


def _expected(v: Venue) -> set[str]:
    return set(v.accounts) - set(v.attested)


def _all_flagged(v: Venue) -> bool:
    return set(v.flagged_events()) >= _expected(v)


def test_keeper_flags_exactly_the_unattested_accounts_after_the_grace_period(venue: Venue) -> None:
    proc, port, log = start_keeper(venue, "a", "--max-batch", "16")
    stale_at = venue.stale_at()
    set_time(venue, stale_at - 60)  # a minute before the grace period ends
    ticks_pass(port)
    assert venue.flagged_events() == [] and metric(port, "zksolvency_keeper_flags_sent_total") == 0
    m = metrics(port)
    assert m is not None
    assert m["zksolvency_keeper_accounts_watched"] == len(venue.accounts) == EXTRA + 2
    assert m["zksolvency_keeper_last_epoch_seen"] == 42 and m["zksolvency_keeper_accounts_due"] == 0

    set_time(venue, stale_at)  # the second it ends
    wait_for(lambda: _all_flagged(venue), what="the stale accounts flagged")
    ticks_pass(port)
    events = venue.flagged_events()
    assert set(events) == _expected(venue) and len(events) == len(set(events))  # exactly those, once each
    for a in venue.accounts:
        assert venue.chain.status(a)["flag"] == ("none" if a in venue.attested else "stale")
    m = metrics(port)
    assert m is not None
    assert m["zksolvency_keeper_flags_sent_total"] == len(_expected(venue))
    txs = m["zksolvency_keeper_transactions_total{outcome=mined}"]
    assert txs == -(-len(_expected(venue)) // 16)  # batches of at most --max-batch
    assert m["zksolvency_keeper_gas_spent_total"] > 0 and m["zksolvency_keeper_reaction_seconds_count"] == len(_expected(venue))
    assert stop_keeper(proc) == 0
    text = log.read_text()
    assert text.count("flagged ") == txs and "SIGTERM: stopping" in text and "Traceback" not in text


def test_two_keepers_set_no_flag_twice(venue: Venue) -> None:
    procs = [start_keeper(venue, name, interval=0.2) for name in ("a", "b")]
    set_time(venue, venue.stale_at())
    wait_for(lambda: _all_flagged(venue), what="the stale accounts flagged")
    for _p, port, _log in procs:
        ticks_pass(port)
    events = venue.flagged_events()
    assert Counter(events) == Counter(_expected(venue))  # every stale account flagged exactly once
    flags = [metric(port, "zksolvency_keeper_flags_sent_total") for _p, port, _log in procs]
    assert sum(flags) == len(_expected(venue))
    for proc, _port, _log in procs:
        assert stop_keeper(proc) == 0


def test_keeper_carries_on_across_a_node_restart(venue: Venue) -> None:
    proc, port, log = start_keeper(venue, "a")
    ticks_pass(port)
    venue.stop_node()  # anvil stops (its chain dumped to --state) ...
    wait_for(lambda: "unreachable" in log.read_text(), what="the keeper to notice the node went away", timeout=30)
    venue.start_node()  # ... and starts again on the same port, from its state
    wait_for(lambda: "answers again" in log.read_text(), what="the keeper to reconnect", timeout=60)
    assert venue.chain.status(venue.accounts[0])["enrolled"]  # the same chain: state was kept
    set_time(venue, venue.stale_at())
    wait_for(lambda: _all_flagged(venue), what="the stale accounts flagged after the restart")
    assert metric(port, "zksolvency_keeper_node_up") == 1 and metric(port, "zksolvency_keeper_node_errors_total") >= 1
    assert stop_keeper(proc) == 0


def test_restarted_keeper_resumes_from_the_chain_without_reflagging(venue: Venue) -> None:
    proc, port, _log = start_keeper(venue, "first")
    set_time(venue, venue.stale_at())
    wait_for(lambda: _all_flagged(venue), what="the stale accounts flagged")
    assert stop_keeper(proc) == 0
    keeper_addr = venue.roles["keeper"]
    nonce = venue.chain.w3.eth.get_transaction_count(keeper_addr)

    proc, port, _log = start_keeper(venue, "second")  # no local state: it reads the chain again
    ticks_pass(port, 5)
    assert metric(port, "zksolvency_keeper_accounts_watched") == len(venue.accounts)
    assert metric(port, "zksolvency_keeper_flags_sent_total") == 0 and metric(port, "zksolvency_keeper_accounts_due") == 0
    assert venue.chain.w3.eth.get_transaction_count(keeper_addr) == nonce  # sent nothing
    assert len(venue.flagged_events()) == len(_expected(venue))

    # the next epoch: the account that attested 42 owes 43, and the same keeper flags it in time
    ch, roles = venue.chain, venue.roles
    ch.publish(43, 12345, roles["admin"])
    ch.publish_ledger(43, 67890, roles["venue"])
    attested = venue.attested[0]
    set_time(venue, int(ch.status(attested)["stale_at"]))
    wait_for(lambda: ch.status(attested)["flag"] == "stale", what="the epoch-43 flag")
    assert metric(port, "zksolvency_keeper_flags_sent_total") == 1
    assert stop_keeper(proc) == 0


def test_a_lost_race_is_logged_and_not_resent(venue: Venue) -> None:
    """Two keepers tick on the same block while neither's transaction is mined yet (automine off):
    the one that loses has its flagStale refused (at its estimate, which sees the pending flags, or
    on chain, after the winner's), logs it, and its next tick, reading the chain afresh, sends
    nothing: no blind retry."""
    ch = venue.chain
    a, b = Keeper(ch, sender=venue.roles["keeper"]), Keeper(ch, sender=venue.roles["admin"])
    set_time(venue, venue.stale_at())
    ra, rb = race(venue, a, b)
    assert isinstance(ra, TickResult) and isinstance(rb, TickResult)
    assert set(ra.flagged) == _expected(venue) and rb.flagged == []  # one winner
    assert len(rb.refused) == 1 and ("AccountFlagged" in rb.refused[0] or "failed" in rb.refused[0]), rb.refused
    assert Counter(venue.flagged_events()) == Counter(_expected(venue))
    nonce = ch.w3.eth.get_transaction_count(venue.roles["admin"])
    again = b.tick()
    assert again.due == [] and again.transactions == [] and again.refused == []
    assert ch.w3.eth.get_transaction_count(venue.roles["admin"]) == nonce


def test_keeper_stops_cleanly_while_waiting_for_a_node(venue: Venue) -> None:
    from zksolvency.onchain import anvil

    proc, port, log = start_keeper(venue, "a")
    anvil.stop(venue.node.pid)
    wait_for(lambda: "unreachable" in log.read_text(), what="the keeper to notice", timeout=30)
    assert metric(port, "zksolvency_keeper_node_up") == 0
    assert stop_keeper(proc) == 0  # SIGTERM during a backoff ends it at once, cleanly
    venue.node = anvil.start(venue.dir, port=int(venue.node.rpc.rsplit(":", 1)[1]), state=venue.state)


def test_statuses_read_through_multicall_are_the_status_view(venue: Venue) -> None:
    k = Keeper(venue.chain)
    head = int(venue.chain.w3.eth.block_number)
    assert k.sync_accounts(head) == venue.accounts and k.sync_accounts(head) == []  # incremental
    rows = k.statuses(k.accounts, head)
    for row in rows:
        st = venue.chain.status(row.account)
        assert (row.index, row.attested_epoch, row.flag, row.stale_at) == (
            st["index"],
            st["attested_epoch"],
            st["flag"],
            st["stale_at"],
        )
    assert [r.index for r in rows] == list(range(len(venue.accounts)))
    # in multicalls of 2 accounts (a node with a low eth_call gas cap): the same rows, in order
    small = Keeper(venue.chain, status_chunk=2)
    small.sync_accounts(head)
    assert len(venue.accounts) > 2 and small.statuses(small.accounts, head) == rows


def test_keeper_scans_events_in_bounded_ranges(venue: Venue) -> None:
    """With a log range of 2 blocks the keeper still finds every enrollment (one getLogs per range)."""
    k = Keeper(venue.chain, log_range=2)
    head = int(venue.chain.w3.eth.block_number)
    assert k.sync_accounts(head) == venue.accounts


def test_keeper_cli_once_and_bad_input(venue: Venue) -> None:
    import subprocess

    from tests.helpers.keeper import ZKSOLVENCY

    dep = str(venue.dir / "deployment.json")
    set_time(venue, venue.stale_at())
    limits = ["--log-range", "1", "--status-chunk", "1", "--max-batch", "1"]  # as a public node may impose
    r = subprocess.run(
        [ZKSOLVENCY, "keeper", "run", "--rpc", venue.node.rpc, "--deployment", dep, "--once", *limits],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr
    assert "flagged" in r.stderr and set(venue.flagged_events()) == _expected(venue)
    r = subprocess.run(
        [ZKSOLVENCY, "keeper", "run", "--rpc", venue.node.rpc, "--deployment", str(venue.dir / "nope.json"), "--once"],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "nope.json" in r.stderr and "Traceback" not in r.stderr


def test_a_keeper_whose_event_view_disagrees_with_the_chain_rescans(venue: Venue) -> None:
    """As after a reorg that dropped a block the keeper had read: its account list no longer
    matches enrolledCount, so it follows the events again instead of watching too few accounts."""
    k = Keeper(venue.chain)
    k.sync_accounts(int(venue.chain.w3.eth.block_number))
    k._accounts.pop(3)  # a dropped enrollment
    res = k.tick()
    assert k.accounts == venue.accounts and res.watched == len(venue.accounts)


def test_keeper_recovers_when_a_reorg_replaces_enrollments(venue: Venue) -> None:
    """Attacker review finding 17: the keeper saw two enrollments that a reorg then replaced with
    three others (evm_revert stands in for the reorg). It must follow the canonical chain: watch
    the real accounts and flag them when due, not fail every tick."""
    from web3 import Web3

    ch = venue.chain
    w3 = ch.w3
    fork = w3.provider.make_request(RPCEndpoint("evm_snapshot"), [])["result"]
    ghosts = [Web3.to_checksum_address(f"0x{0x6405700 + i:040x}") for i in range(2)]
    ch.enroll(ghosts, venue.roles["venue"])
    k = Keeper(ch)
    assert k.tick().watched == len(venue.accounts) + 2
    w3.provider.make_request(RPCEndpoint("evm_revert"), [fork])
    for n in (2, 3):  # same count (a replaced enrollment), then one more
        real = [Web3.to_checksum_address(f"0x{0xBEEF00 + 16 * n + i:040x}") for i in range(n)]
        snap = w3.provider.make_request(RPCEndpoint("evm_snapshot"), [])["result"]
        ch.enroll(real, venue.roles["venue"])
        res = k.tick()
        assert res.watched == len(venue.accounts) + n and k.accounts == [*venue.accounts, *real]
        assert not set(ghosts) & set(k.accounts)
        w3.provider.make_request(RPCEndpoint("evm_revert"), [snap])
    ch.enroll(real, venue.roles["venue"])
    ch.publish(43, 4343, venue.roles["admin"])  # the next epoch: the new accounts owe it
    set_time(venue, int(ch.status(real[0])["stale_at"]))
    assert set(real) <= set(k.tick().flagged)


def test_keeper_tips_at_most_its_cap_and_holds_back_above_the_fee_cap(venue: Venue) -> None:
    """The node suggests a 1 gwei tip; a keeper capped at half of it flags with a 0.5 gwei tip (a
    suggestion anyone can lift with one high-tip transaction per block must not silence it), logs
    that it lowered the tip and counts it. A base fee spike above the default 100 gwei cap holds
    back a default keeper: it sends nothing, says so, and flags once prices are back."""
    w3 = venue.chain.w3
    snap = w3.provider.make_request(RPCEndpoint("evm_snapshot"), [])["result"]
    stingy, port, log = start_keeper(venue, "stingy", "--max-priority-fee", "0.5")
    set_time(venue, venue.stale_at())
    wait_for(lambda: metric(port, "zksolvency_keeper_flags_sent_total") >= 1, what="a flagStale at the capped tip")
    assert metric(port, "zksolvency_keeper_capped_tips_total") >= 1
    assert stop_keeper(stingy) == 0
    text = log.read_text()
    assert "the node's priority fee 1 gwei is above the cap: sending with 0.5 gwei" in text and "Traceback" not in text
    logs = venue.chain.contract("registry").events.FlaggedStale().get_logs(from_block=0, to_block="latest")
    assert {str(e["args"]["account"]) for e in logs} == _expected(venue)
    assert {int(w3.eth.get_transaction(e["transactionHash"])["maxPriorityFeePerGas"]) for e in logs} == {5 * 10**8}
    w3.provider.make_request(RPCEndpoint("evm_revert"), [snap])  # unflagged again, for the default keeper
    assert venue.flagged_events() == []
    set_time(venue, max(venue.stale_at(), int(w3.eth.get_block("latest")["timestamp"]) + 1))

    spike = 150 * 10**9
    venue.chain.w3.provider.make_request(RPCEndpoint("anvil_setNextBlockBaseFeePerGas"), [hex(spike)])
    k = Keeper(venue.chain)  # the defaults: 100 gwei in all, 2 gwei tip
    res = k.tick()
    assert res.flagged == [] and res.over_fee_cap and "above the cap of 100 gwei" in res.over_fee_cap[0]
    assert k.metrics.skipped.labels("fee_cap")._value.get() == 1
    venue.chain.w3.provider.make_request(RPCEndpoint("anvil_setNextBlockBaseFeePerGas"), [hex(10**9)])
    res = k.tick()
    assert set(res.flagged) == _expected(venue) and res.over_fee_cap == []
    tx = venue.chain.w3.eth.get_transaction(res.transactions[0].tx_hash)
    assert tx["maxPriorityFeePerGas"] == 10**9 and tx["maxFeePerGas"] <= 100 * 10**9  # the node's tip, within the caps


def test_keeper_fee_flags_are_checked(venue: Venue) -> None:
    import subprocess

    from tests.helpers.keeper import ZKSOLVENCY

    for bad in ("-1", "1e9", "0.0000000001", "abc"):
        r = subprocess.run(
            [ZKSOLVENCY, "keeper", "run", "--once", "--rpc", venue.node.rpc, "--max-fee-per-gas", bad],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert r.returncode == 2 and "--max-fee-per-gas" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
