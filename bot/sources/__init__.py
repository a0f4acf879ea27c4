"""Data sources: arXiv for papers, the social and scholarly sources for attention."""
