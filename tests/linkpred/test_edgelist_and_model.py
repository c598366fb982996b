"""SNAP edge lists, the seeded holdout (no leakage), the learned scorer and `techmatch evaluate`."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from click.testing import CliRunner

from graph_service.cli import main
from graph_service.errors import InvalidInput
from graph_service.linkpred.edgelist import holdout_split, read_edgelist
from graph_service.linkpred.model import LinkModel


def test_snap_lines_directions_and_self_loops(tmp_path: Path) -> None:
    f = tmp_path / "g.txt"
    f.write_text("https://snap.stanford.edu/x.html\n# FromNodeId\tToNodeId\n10\t20\n20\t10\n20 30 extra\n"
                 "30\t30\nnode\t40\n\n40\n7\t10\n")
    e = read_edgelist(f)
    assert e.node_ids.tolist() == [7, 10, 20, 30]
    pairs = {(int(e.node_ids[a]), int(e.node_ids[b])) for a, b in zip(e.u, e.v)}
    assert pairs == {(10, 20), (20, 30), (7, 10)}
    (tmp_path / "empty.txt").write_text("# nothing\n")
    with pytest.raises(InvalidInput, match="no edges"):
        read_edgelist(tmp_path / "empty.txt")


@pytest.fixture(scope="module")
def edgelist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    g = nx.powerlaw_cluster_graph(600, 4, 0.5, seed=3)
    path = tmp_path_factory.mktemp("snap") / "g.txt"
    path.write_text("".join(f"{a}\t{b}\n{b}\t{a}\n" for a, b in g.edges()))
    return path


def test_holdout_is_seeded_and_keeps_test_edges_out_of_training(edgelist: Path) -> None:
    e = read_edgelist(edgelist)
    s, again = holdout_split(e, 0.1, seed=4), holdout_split(e, 0.1, seed=4)
    assert np.array_equal(s.test_u, again.test_u) and np.array_equal(s.test_v, again.test_v)
    assert not np.array_equal(s.test_u, holdout_split(e, 0.1, seed=5).test_u)
    n_test = len(e.u) - int(s.train.sum())
    assert n_test == round(0.1 * len(e.u)) and s.test_label.sum() == n_test == (s.test_label == 0).sum()
    train = e.adjacency(s.train)
    positives = s.test_label == 1
    assert train[s.test_u[positives], s.test_v[positives]].sum() == 0  # held out: not in training
    every = {(a, b) for a, b in zip(e.u.tolist(), e.v.tolist())}
    assert not {(a, b) for a, b in zip(s.test_u[~positives].tolist(), s.test_v[~positives].tolist())} & every


def test_fresh_non_edges_are_neither_edges_nor_test_pairs(edgelist: Path) -> None:
    e = read_edgelist(edgelist)
    s = holdout_split(e, 0.1, seed=1)
    u, v = s.fresh_non_edges(e, 20_000, np.random.default_rng(0))
    pairs = set(zip(u.tolist(), v.tolist()))
    assert len(pairs) == 20_000 and all(a < b for a, b in pairs)
    assert not pairs & set(zip(e.u.tolist(), e.v.tolist()))
    assert not pairs & set(zip(s.test_u.tolist(), s.test_v.tolist()))


def test_model_learns_only_from_visible_edges_and_round_trips(edgelist: Path, tmp_path: Path) -> None:
    e = read_edgelist(edgelist)
    s = holdout_split(e, 0.1, seed=0)
    model = LinkModel(seed=0).fit(e, s.train)
    assert model.meta["graph_edges"] == int(s.train.sum())
    adj = e.adjacency(s.train)
    scores = model.score(adj, s.test_u, s.test_v)
    assert scores[s.test_label == 1].mean() > scores[s.test_label == 0].mean()
    bound = model.bind(adj)  # bound once, scored in batches: the same numbers
    batches = [bound.score(s.test_u[:7], s.test_v[:7]), bound.score(s.test_u[7:], s.test_v[7:])]
    assert np.allclose(np.concatenate(batches), scores)
    with pytest.raises(RuntimeError, match="fit"):
        LinkModel().bind(adj)
    model.save(tmp_path / "m.json")
    assert np.allclose(LinkModel.load(tmp_path / "m.json").score(adj, s.test_u, s.test_v), scores)


def test_evaluate_json_reports_the_model_and_every_networkx_heuristic(edgelist: Path) -> None:
    r = CliRunner().invoke(main, ["evaluate", "--edgelist", str(edgelist), "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.output)
    assert set(report["methods"]) == {"model", "common_neighbors", "jaccard", "adamic_adar",
                                      "resource_allocation", "preferential_attachment", "logistic_blend"}
    for m in report["methods"].values():
        assert set(m) >= {"auc", "hits@50", "mrr", "seconds"} and 0 <= m["auc"] <= 1 and m["seconds"] > 0
    best = max(m["auc"] for name, m in report["methods"].items() if name != "model")
    assert report["methods"]["model"]["auc"] > best
    table = CliRunner().invoke(main, ["evaluate", "--edgelist", str(edgelist)]).output
    assert "resource_allocation" in table and "Hits@50" in table


def test_evaluate_seeds_reports_mean_and_minimum_over_seeds(edgelist: Path) -> None:
    r = CliRunner().invoke(main, ["evaluate", "--edgelist", str(edgelist), "--seeds", "2", "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.output)
    assert report["seeds"] == [0, 1] and [run["seed"] for run in report["runs"]] == [0, 1]
    for name, m in report["methods"].items():
        per_seed = [run["methods"][name] for run in report["runs"]]
        for k in ("auc", "hits@50", "mrr"):
            assert m[k] == pytest.approx(np.mean([p[k] for p in per_seed]))
            assert m["min"][k] == min(p[k] for p in per_seed)
    assert report["min_speedup"] == min(run["speedup_vs_networkx_all_heuristics"] for run in report["runs"])
    table = CliRunner().invoke(main, ["evaluate", "--edgelist", str(edgelist), "--seeds", "2"]).output
    assert "seeds 0-1 (mean [min])" in table and "logistic_blend" in table


def test_evaluate_pool_reports_expected_mrr_and_the_models_chance_on_redraws(edgelist: Path) -> None:
    r = CliRunner().invoke(main, ["evaluate", "--edgelist", str(edgelist), "--pool", "20000", "--seeds", "2",
                                  "--json"])
    assert r.exit_code == 0, r.output
    report = json.loads(r.output)
    for run in report["runs"]:
        assert run["pool_pairs"] == 20_000 and run["draws"] == 200
        assert run["mrr_win_chance"] * 200 == pytest.approx(round(run["mrr_win_chance"] * 200))
        expected = {name: m["expected_mrr"] for name, m in run["methods"].items()}
        assert all(0 < x <= 1 for x in expected.values())
        # degree products or overlap alone rank links poorly; the learned model far better
        assert expected["model"] > 1.5 * max(expected["preferential_attachment"], expected["jaccard"])
    assert report["min_mrr_win_chance"] == min(run["mrr_win_chance"] for run in report["runs"])
    assert report["methods"]["model"]["min"]["expected_mrr"] == min(
        run["methods"]["model"]["expected_mrr"] for run in report["runs"])
    table = CliRunner().invoke(main, ["evaluate", "--edgelist", str(edgelist), "--pool", "5000"]).output
    assert "E[MRR]" in table and "of redraws" in table
    bad = CliRunner().invoke(main, ["evaluate", "--edgelist", str(edgelist), "--pool", "-1"])
    assert bad.exit_code != 0 and "--pool" in bad.output


def test_a_saved_model_with_other_features_is_refused(edgelist: Path, tmp_path: Path) -> None:
    e = read_edgelist(edgelist)
    LinkModel(seed=0).fit(e, np.ones(len(e.u), dtype=bool)).save(tmp_path / "m.json")
    data = json.loads((tmp_path / "m.json").read_text())
    data["meta"]["features"] = ["common_neighbors", "adamic_adar"]  # an older model's list
    (tmp_path / "old.json").write_text(json.dumps(data))
    with pytest.raises(ValueError, match="differ"):
        LinkModel.load(tmp_path / "old.json")
