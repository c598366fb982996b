"""jieba with a domain dictionary, so that 机器视觉 or 有机硅密封胶 stay one token."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

import jieba

jieba.setLogLevel(logging.WARNING)  # jieba reports its dictionary loading at INFO

# Words that carry no matching signal in needs and offers (templates' glue, not technology).
STOPWORDS = frozenset("""
我们 我公司 公司 企业 团队 技术 研究 方面 相关 开展 提供 需要 希望 合作 寻求 进行 实现 问题 能力 服务 方案
领域 长期 从事 丰富 经验 积累 可以 可为 以及 通过 用于 面向 形成 具备 承接 关键 一种 基于 已经 已获 已完成 主要
专长 成果 需求 解决 提升 产品 性能 支持 方式 采用 应用 发展 推动 以上 其中 一个 方法 攻关 征集 突破 联合
或许 引进 产品升级 良品率 急需 瓶颈 遇到 希望 有关 计划
""".split())
_KEEP = re.compile(r"^[\w\u4e00-\u9fff]+$")


class DomainTokenizer:
    """Callable text -> tokens. Domain words are added to a private jieba dictionary (the global one
    is left alone); tokens of one character, punctuation and stopwords are dropped."""

    def __init__(self, words: Iterable[str] = ()) -> None:
        self._jieba = jieba.Tokenizer()
        self._jieba.initialize()
        self.words = sorted({w.strip() for w in words if w and len(w.strip()) >= 2})
        for word in self.words:
            self._jieba.add_word(word)

    def __getstate__(self) -> dict:  # jieba's tokenizer holds a lock: keep the words, rebuild on load
        return {"words": self.words}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["words"])  # type: ignore[misc]

    def __call__(self, text: str) -> list[str]:
        return [t for t in self._jieba.lcut(text) if len(t) >= 2 and t not in STOPWORDS and _KEEP.match(t)]
