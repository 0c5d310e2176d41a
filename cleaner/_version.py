"""The package's version, in a leaf module: the command line and the Parquet parts' provenance name it without
importing the package's public API (``cleaner/__init__``), which sits above every other module."""

__version__ = "0.1.0"
