"""Integrations with crawling frameworks; each needs its framework installed (an optional extra)."""
