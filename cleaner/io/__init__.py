"""Shells around the core that touch the outside world: rule files, readers, writers, HTML."""
