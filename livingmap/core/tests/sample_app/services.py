"""Writes of the sample app (it has none; the file is the contract's)."""
