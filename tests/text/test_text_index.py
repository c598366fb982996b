"""Chinese text retrieval: the domain dictionary keeps field terms whole; needs find fitting experts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from graph_service.stores.sqlite_store import SqliteStore
from graph_service.text.index import TextIndex, build_text_index, tokenize
from graph_service.text.tokenizer import DomainTokenizer
from loaders.importer import load_directory


def test_domain_words_stay_whole_and_glue_words_go() -> None:
    plain = DomainTokenizer()
    domain = DomainTokenizer(["机器视觉", "有机硅密封胶"])
    text = "团队长期从事机器视觉研究,可提供有机硅密封胶检测服务。"
    assert "机器视觉" not in plain(text)
    tokens = domain(text)
    assert {"机器视觉", "有机硅密封胶", "检测"} <= set(tokens)
    assert not {"团队", "研究", ",", "。"} & set(tokens)


def test_search_ranks_by_shared_words_and_explains_them() -> None:
    index = TextIndex(["a", "b", "c"], ["锂电池 正极材料 研发", "正极材料 检测", "白酒 酿造"],
                      DomainTokenizer(["正极材料"]))
    hits = index.search("寻求正极材料和锂电池技术", top_k=5)
    assert [h.id for h in hits] == ["a", "b"]
    assert hits[0].matched[0] in {"锂电池", "正极材料"} and set(hits[0].matched) == {"锂电池", "正极材料"}
    assert index.search("正极材料", among=["b", "c"])[0].id == "b"
    assert index.search("量子计算") == []
    with pytest.raises(ValueError):
        TextIndex(["a"], [], DomainTokenizer())


def test_a_new_need_finds_researchers_with_fitting_expertise(tiny_dir: Path, tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "t.sqlite")
    store.ensure_schema()
    load_directory(store, tiny_dir, progress=False)
    index = build_text_index(store)
    researchers = [i for i in index.ids if i.startswith("R")]
    need = "揭榜挂帅:面向集成电路产业链短板,攻克芯片设计与封装测试技术。"  # not in the graph
    hits = index.search(need, top_k=5, among=researchers)
    assert hits, "no researcher matched"
    for h in hits:
        keywords = set(store.get_node(h.id).props.get("keywords", []))
        assert set(h.matched) & {"集成电路", "芯片设计", "封装测试"}
        assert keywords & {"芯片设计", "封装测试", "晶圆制造", "功率器件", "EDA工具", "射频芯片", "模拟电路"} \
            or "集成电路" in store.get_node(h.id).props.get("expertise", "")


def test_query_vector_is_what_the_vectorizer_makes() -> None:
    texts = ["锂电池 正极材料 研发 锂电池", "正极材料 检测", "白酒 酿造 白酒 工艺"]
    index = TextIndex(["a", "b", "c"], texts, DomainTokenizer(["正极材料", "锂电池"]))
    for query in ("锂电池锂电池正极材料", "白酒酿造工艺和检测", "量子计算", ""):
        expected = index._vectorizer.transform([index.tokenizer(query)])
        got = index.vector(query)
        np.testing.assert_allclose(got.toarray(), expected.toarray(), rtol=1e-12)


def test_parallel_tokenizing_gives_the_same_tokens(monkeypatch) -> None:
    import graph_service.text.index as module

    monkeypatch.setattr(module, "PARALLEL_FROM", 10)  # use the pool for a small corpus
    tokenizer = DomainTokenizer(["正极材料", "锂电池"])
    texts = [f"第{i}号 锂电池正极材料 研发与检测" for i in range(300)]
    assert tokenize(texts, tokenizer, workers=2) == [tokenizer(t) for t in texts]
