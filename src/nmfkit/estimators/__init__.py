"""The estimators: ``NMF``, ``MiniBatchNMF``, ``non_negative_factorization`` and
checkpoints, built on the core."""
