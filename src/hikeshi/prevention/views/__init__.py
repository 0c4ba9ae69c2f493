"""Pages of the prevention program, one module per feature."""
