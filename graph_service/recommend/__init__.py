"""Recommenders with a scikit-learn shape: `fit`, then `recommend(entity, top_k, exclude_known)`."""
