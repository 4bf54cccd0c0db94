"""Pagerless: an open-source AI SRE that runs as serverless functions."""

__version__ = "0.1.0"
