"""Risk analysis of Japanese posts: is there 炎上 risk, of which kind, where in the text, and how sure.

Nothing here imports Django. ``get_analyzer()`` returns the shared, thread-safe Analyzer.
"""

from hikeshi.analysis.analyzer import Analyzer, get_analyzer
from hikeshi.analysis.custom import CustomTerms
from hikeshi.analysis.judgement import CategoryScore, Evidence, Judgement, PiiSpan, Sentiment
from hikeshi.analysis.taxonomy import CATEGORY_CODES, CATEGORY_LABELS_JA, LEVELS

__all__ = [
    "CATEGORY_CODES",
    "CATEGORY_LABELS_JA",
    "LEVELS",
    "Analyzer",
    "CategoryScore",
    "CustomTerms",
    "Evidence",
    "Judgement",
    "PiiSpan",
    "Sentiment",
    "get_analyzer",
]
