"""zksolvency prover: everything between a statement and a Groth16 proof bundle.

- :mod:`.config`: circuit instances (``circuits/circuits.json``);
- :mod:`.engine`: the reference margin engine (SPEC §2, exact rationals);
- :mod:`.witness`: the circuit's witness input; :mod:`.witness_cpp`: circom's C++ witness generator;
- :mod:`.setup`, :mod:`.ptau`, :mod:`.hermez`: compile and key an instance, and the powers of tau its
  keys rest on;
- :mod:`.prove`, :mod:`.epoch`: ``prove`` one statement, ``epoch prove`` a whole ledger;
- :mod:`.backends`: the native prover and snarkjs behind one gateway; :mod:`.tools`: circom2, snarkjs
  and the long-lived prover processes (``prove_server.cjs``, ``circom_run.cjs``).

The command line lives in :mod:`zksolvency.cli`.
"""
