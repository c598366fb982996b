"""The evaluation report written next to `techmatch evaluate`: the figures as JSON and Markdown, and
two plots (PNG): Hits@K by K for every method, and the model's metrics beside the best baseline's."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt  # noqa: E402

from graph_service.recommend.partner_eval import KS  # noqa: E402


def write_report(report: dict, out: Path) -> list[Path]:
    """Writes report.json, report.md, hits_at_k.png and metrics.png into `out`; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    methods: dict[str, dict[str, float]] = report["methods"]
    best = report.get("best_baseline")
    files = [out / "report.json", out / "report.md", out / "hits_at_k.png", out / "metrics.png"]
    files[0].write_text(json.dumps(report, ensure_ascii=False, indent=2))
    metrics = [m for m in ("auc", "mrr", "ndcg@10", "hits@10", "hits@50") if m in methods["model"]]
    lines = ["# Partner recommendation: temporal evaluation\n",
             f"Deals from {report['test_from']} held out ({report['test_cases']} cases); model trained on "
             f"{report['train_years'][0]}-{report['train_years'][1]}. True partner among the candidates in "
             f"{report['candidate_recall']:.1%} of cases.\n",
             "| method | " + " | ".join(metrics) + " |", "|---|" + "---|" * len(metrics)]
    lines += [f"| {name}{' (best baseline)' if name == best else ''} | "
              + " | ".join(f"{m[k]:.4f}" for k in metrics) + " |" for name, m in methods.items()]
    if best:
        lines.append(f"\nModel Hits@10 over the best baseline's ({best}): "
                     f"{methods['model']['hits@10'] / max(methods[best]['hits@10'], 1e-12):.2f}x\n")
    files[1].write_text("\n".join(lines) + "\n")

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, m in methods.items():
        ax.plot(KS, [m[f"hits@{k}"] for k in KS], marker="o" if name == "model" else ".",
                linewidth=2.5 if name in ("model", best) else 1, label=name)
    ax.set(xscale="log", xlabel="K", ylabel="Hits@K", title="Held-out deals: true partner in the top K")
    ax.set_xticks(KS, [str(k) for k in KS])
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(files[2], dpi=110)
    plt.close(fig)

    shown = ["model", best] if best else ["model"]
    fig, ax = plt.subplots(figsize=(7, 4))
    width = 0.8 / len(shown)
    for j, name in enumerate(shown):
        ax.bar([i + j * width for i in range(len(metrics))], [methods[name][k] for k in metrics], width, label=name)
    ax.set_xticks([i + width * (len(shown) - 1) / 2 for i in range(len(metrics))], metrics)
    ax.set(ylabel="score", title="Model against the best single baseline")
    ax.legend()
    fig.tight_layout()
    fig.savefig(files[3], dpi=110)
    plt.close(fig)
    return files
