"""Site repetition benchmark: multi-page dumps per host, real and constructed."""
