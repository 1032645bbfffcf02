"""The oracle side: market building (Black-Scholes SPAN risk arrays) and what the oracle publishes."""
