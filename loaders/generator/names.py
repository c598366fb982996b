"""Chinese person and organisation names, drawn with numpy so a province of them takes seconds."""

from __future__ import annotations

import numpy as np

# Common surnames with rough frequency weights (王, 李, 张, 刘, 陈 lead nationally; 杨 and 何 are common in Sichuan).
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
            "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
_SURNAME_W = np.array([7.2, 7.0, 6.8, 5.4, 4.5, 3.2, 2.2, 2.0, 1.9, 1.8, 1.7, 1.5, 1.4, 1.3, 1.3, 1.2, 1.2, 1.1, 1.1,
                       1.0, 1.0, 0.9, 0.8, 0.8, 0.8, 0.7, 0.7, 0.7, 0.7, 0.6, 0.6, 0.6, 0.6, 0.5, 0.5, 0.5, 0.5,
                       0.5, 0.5, 0.5, 0.5, 0.5, 0.5] + [0.3] * (len(SURNAMES) - 43))
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国文辉鹏宇浩然子涵晨阳思雨欣怡俊博"
         "志远海峰小红玉梅晓东丹凯飞斌云龙刚毅立新振华家豪嘉怡梓萱一鸣天佑泽宇瑞雪婷燕琳波亮健林宏")
TITLES = ("教授", "副教授", "研究员", "副研究员", "高级工程师", "正高级工程师", "讲师", "助理研究员", "博士后",
          "工程师")
_TITLE_W = np.array([12, 14, 8, 10, 14, 4, 12, 10, 6, 10], dtype=float)
BRAND = "华科创蓉天府锦川蜀信达新宏远博瑞智芯维正泰安鑫源凯盛越通海光明中航能聚利德恒辉晟佳益腾顺兴昌和云星飞峨岷嘉威"
ENTERPRISE_SUFFIX = ("科技有限公司", "技术有限公司", "股份有限公司", "实业有限公司", "科技股份有限公司")


def person_names(rng: np.random.Generator, n: int) -> list[str]:
    sur = rng.choice(len(SURNAMES), size=n, p=_SURNAME_W / _SURNAME_W.sum())
    g1 = rng.integers(0, len(GIVEN), size=n)
    g2 = rng.integers(0, len(GIVEN), size=n)
    two = rng.random(n) < 0.7  # most given names have two characters
    return [SURNAMES[s] + GIVEN[a] + (GIVEN[b] if t else "") for s, a, b, t in zip(sur, g1, g2, two)]


def titles(rng: np.random.Generator, n: int) -> list[str]:
    return [TITLES[i] for i in rng.choice(len(TITLES), size=n, p=_TITLE_W / _TITLE_W.sum())]


def brand_names(rng: np.random.Generator, n: int) -> list[str]:
    a = rng.integers(0, len(BRAND), size=n)
    b = rng.integers(0, len(BRAND), size=n)
    return [BRAND[i] + BRAND[j] for i, j in zip(a, b)]


def unique(names: list[str]) -> list[str]:
    """Make names unique by numbering repeats (二分公司 style is overkill for synthetic data)."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        k = seen.get(name, 0)
        seen[name] = k + 1
        out.append(name if k == 0 else f"{name}({k + 1})")
    return out
