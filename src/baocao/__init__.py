"""baocao: reproducible annual reports from a year's office data."""

__version__ = "0.1.0"
