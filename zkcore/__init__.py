"""Shared core of zksolvency: input models, fixed-point encoding, Poseidon and commitments.

Both the prover and the verifier import this package; the verifier never imports the prover.
"""
