"""Labelled evaluation cases for the analysis engine (data only; see README.md).

The package marker makes setuptools ship the JSON Lines files as package data.
"""
