"""Link prediction: vectorised heuristics, pair features, a learned scorer, and ranking metrics."""
