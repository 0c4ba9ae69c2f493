"""Training of the analysis engine's models (``python -m hikeshi.analysis.training``, ``make train``).

Training needs scikit-learn and scipy; nothing here is imported at run time except the numpy-only
``data`` and ``metrics`` modules, which ``hikeshi eval`` also uses.
"""
