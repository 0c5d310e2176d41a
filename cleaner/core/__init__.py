"""The pure core: rule parsing, the engine and segmentation. No file I/O, no polars, no globals."""
