"""Executors: the local parallel runner and the distributed runner, both over the same engine."""
