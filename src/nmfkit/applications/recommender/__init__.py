"""Recommendations from ratings: the ``Recommender``, ratings input, and evaluation."""
