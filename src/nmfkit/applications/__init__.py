"""Applications built on the estimators: recommendations, topics, consensus and rank
selection, images; and the public helpers ``plot``, ``metrics`` and ``datasets``."""
