"""Scoring scikit-learn's fitted histogram gradient-boosted trees in numpy, for many rows at once.

sklearn's own predictor runs one OpenMP region per tree: on a small batch, with two server workers on
two cores, the threads waited on each other and a request took 2-8 times longer.

The trees are scored by bit masks (QuickScorer, Lucchese et al., SIGIR 2015): each tree's leaves are
numbered left to right; every split a row does not pass to the left clears the leaves of its left
subtree from the tree's mask, and the row's exit leaf is the lowest bit left set. That is one pass of
array operations over all splits instead of one per depth level: 1.5 times faster than walking the
trees level by level on the city tier's requests.
"""

from __future__ import annotations

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

MAX_LEAVES = 64  # a tree's leaves must fit the bits of one mask


class Forest:
    """The trees of one or more binary classifiers ("bags"); `raw` is the mean of their log-odds."""

    def __init__(self, clfs: list[HistGradientBoostingClassifier]) -> None:
        feature: list[int] = []
        threshold: list[float] = []
        missing_left: list[bool] = []
        masks: list[int] = []
        starts: list[int] = []  # each split tree's first split
        leaves: list[list[float]] = []
        self.constant = np.zeros(len(clfs))  # per bag: the sum of trees that never split
        self.ends: list[tuple[int, int]] = []  # per bag: (splits, split trees) up to its end

        for b, clf in enumerate(clfs):
            for stage in clf._predictors:
                nodes = stage[0].nodes
                if nodes["is_leaf"][0]:
                    self.constant[b] += float(nodes["value"][0])
                    continue
                starts.append(len(feature))
                values: list[float] = []

                def visit(i: int, nodes=nodes, values=values) -> list[int]:
                    """Leaf numbers under node i; records its split with the mask of what failing it leaves."""
                    if nodes["is_leaf"][i]:
                        values.append(float(nodes["value"][i]))
                        return [len(values) - 1]
                    at = len(feature)
                    feature.append(int(nodes["feature_idx"][i]))
                    threshold.append(float(nodes["num_threshold"][i]))
                    missing_left.append(bool(nodes["missing_go_to_left"][i]))
                    masks.append(0)
                    left = visit(int(nodes["left"][i]))
                    right = visit(int(nodes["right"][i]))
                    masks[at] = ~sum(1 << leaf for leaf in left) & (2**MAX_LEAVES - 1)
                    return left + right

                visit(0)
                if len(values) > MAX_LEAVES:
                    raise ValueError(f"a tree has {len(values)} leaves; scoring supports up to {MAX_LEAVES}")
                leaves.append(values)
            self.ends.append((len(feature), len(starts)))

        self.feature = np.array(feature, dtype=np.intp)
        self.threshold = np.array(threshold, dtype=np.float64)
        self.missing_left = np.array(missing_left, dtype=bool)
        self.mask = np.array(masks, dtype=np.uint64)
        self.starts = np.array(starts, dtype=np.intp)
        self.leaf_value = np.zeros((len(leaves), max((len(v) for v in leaves), default=1)))
        for t, values in enumerate(leaves):
            self.leaf_value[t, : len(values)] = values
        self.baselines = np.array([float(np.ravel(clf._baseline_prediction)[0]) for clf in clfs])

    def raw(self, x: np.ndarray, first_bag: bool = False) -> np.ndarray:
        """Log-odds of each row: the mean over the bags, or the first bag's alone."""
        splits, trees = self.ends[0] if first_bag else (len(self.feature), len(self.starts))
        total = np.zeros(len(x))
        if trees and len(x):
            value = x[:, self.feature[:splits]]
            right = value > self.threshold[:splits]  # sklearn sends value <= threshold left
            missing = np.isnan(value)
            if missing.any():
                right |= missing & ~self.missing_left[:splits]
            kept = np.where(right, self.mask[:splits], np.uint64(2**MAX_LEAVES - 1))
            alive = np.bitwise_and.reduceat(kept, self.starts[:trees], axis=1)
            lowest = alive & (~alive + np.uint64(1))
            exit_leaf = np.log2(lowest.astype(np.float64)).astype(np.intp)  # powers of 2: exact
            total = self.leaf_value[np.arange(trees), exit_leaf].sum(axis=1)
        if first_bag:
            return self.baselines[0] + self.constant[0] + total
        return self.baselines.mean() + (total + self.constant.sum()) / len(self.baselines)
