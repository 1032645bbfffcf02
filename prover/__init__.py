"""zksolvency prover: reference margin engine, witness builder, snarkjs gateway, setup and CLI."""
