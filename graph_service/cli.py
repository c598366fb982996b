"""`techmatch`: one entry point with subcommands (generate, load, stats, serve, demo, train, evaluate,
the questions of `cli_queries`: partners, needs, teams, collaborators, path, community; the
fair of `cli_fair`: create-fair, promote-fair, import-fair, generate-fair, plan-fair, replan-fair,
export-agendas, record-outcomes; and the accounts of `cli_users`)."""

from __future__ import annotations

import importlib
import os
import sys
import time
from pathlib import Path

import click

from graph_service.errors import InvalidInput, StoreUnavailable, TechMatchError
from graph_service.settings import get_settings
from graph_service.stores import open_store
from graph_service.stores.records import cli_audit

TIER_CHOICE = click.Choice(["tiny", "city", "province"])
# Commands whose modules load only when asked for: they import FastAPI, scikit-learn and OR-Tools,
# seconds that `load` or `stats` should not pay.
LAZY: dict[str, str] = {
    **dict.fromkeys(("partners", "needs", "teams", "collaborators", "path", "community"), "graph_service.cli_queries"),
    **dict.fromkeys(("create-fair", "promote-fair", "import-fair", "generate-fair", "plan-fair", "replan-fair",
                     "export-agendas", "record-outcomes"), "graph_service.cli_fair"),
    "users": "graph_service.cli_users",
    "cases": "graph_service.cli_cases",
}


class _Group(click.Group):
    """Turn TechMatch errors into one clear line and an exit code instead of a traceback; load the
    LAZY commands on demand."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *LAZY])

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY:
            commands = importlib.import_module(LAZY[name]).COMMANDS
            return next(c for c in commands if c.name == name)
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except InvalidInput as e:
            for one in e.every:  # a file's every bad line
                click.echo(f"error: {one}", err=True)
            sys.exit(2)
        except StoreUnavailable as e:
            click.echo(f"error: store unavailable: {e}", err=True)
            sys.exit(3)
        except TechMatchError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(1)


@click.group(cls=_Group)
def main() -> None:
    """TechMatch 科创供需图谱: science-and-technology matchmaking graph."""


@main.command()
@click.option("--tier", type=TIER_CHOICE, default="tiny", show_default=True)
@click.option("--out", "out", type=click.Path(path_type=Path), required=True, help="directory for the files")
@click.option("--seed", type=int, default=7, show_default=True)
def generate(tier: str, out: Path, seed: int) -> None:
    """Write a synthetic regional market as import files (CSV)."""
    from loaders.generator import generate as run

    start = time.perf_counter()
    rows = run(tier, out, seed)
    click.echo(f"wrote {sum(rows.values()):,} rows in {len(rows)} files to {out} "
               f"in {time.perf_counter() - start:.1f} s")


@main.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--skip-invalid", is_flag=True, help="load the good rows; write rejected ones with reasons")
@click.option("--rejects", type=click.Path(path_type=Path), default=Path("rejected.jsonl"), show_default=True)
@click.option("--quiet", is_flag=True, help="no progress bar")
def load(directory: Path, skip_invalid: bool, rejects: Path, quiet: bool) -> None:
    """Load a directory of CSV / JSON Lines files into the store, atomically and idempotently."""
    from loaders.importer import load_directory

    with open_store(get_settings()) as store:
        report = load_directory(store, directory, skip_invalid=skip_invalid, rejects_path=rejects,
                                progress=not quiet)
        store.append_audit(cli_audit("load", str(directory.resolve()), rows=report.loaded,
                                     rejected=len(report.rejected)))
    if report.rejected:
        click.echo(f"rejected {len(report.rejected):,} rows; reasons in {rejects}")
    click.echo(f"loaded {report.loaded:,} rows in {report.seconds:.1f} s ({report.rows_per_second:,.0f} rows/s)")


@main.command()
@click.option("--edgelist", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="co-authorship edge list in SNAP format: evaluate collaborator link prediction on it")
@click.option("--seed", type=int, default=0, show_default=True, help="seed of holdouts and negatives")
@click.option("--seeds", type=int, default=1, show_default=True,
              help="with --edgelist: seeds SEED..SEED+N-1, each metric as its mean and minimum")
@click.option("--pool", type=int, default=0, show_default=True,
              help="with --edgelist: also score this many fresh non-edges, for each method's MRR expected over "
                   "other draws of the negatives and the model's chance to come first")
@click.option("--test-from", type=int, default=None, help="first year of held-out deals (default: last 3 years)")
@click.option("--train-years", type=int, default=3, show_default=True, help="years of deals to learn from")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object instead of a table")
@click.option("--report", "report_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("report"),
              show_default=True, help="where the partner evaluation writes its report and plots (PNG)")
def evaluate(edgelist: Path | None, seed: int, seeds: int, pool: int, test_from: int | None, train_years: int,
             as_json: bool, report_dir: Path) -> None:
    """Evaluate recommendations: partner ranking on the store's deals (temporal holdout), or
    collaborator link prediction on an --edgelist, each against its baselines."""
    import json

    if edgelist is not None:
        from graph_service.linkpred.evaluate import evaluate_edgelist, evaluate_seeds, format_report

        if seeds < 1:
            raise InvalidInput("--seeds must be at least 1", field="seeds")
        if pool < 0:
            raise InvalidInput("--pool must be 0 or more", field="pool")
        report = (evaluate_seeds(edgelist, seeds, seed, pool=pool) if seeds > 1
                  else evaluate_edgelist(edgelist, seed=seed, pool=pool))
        click.echo(json.dumps(report) if as_json else format_report(report))
        return
    from graph_service.projection import build_projection
    from graph_service.recommend.partner_eval import evaluate as evaluate_partners
    from graph_service.recommend.partners import Text
    from graph_service.recommend.report import write_report
    from graph_service.text.index import build_text_index

    with open_store(get_settings()) as store:
        projection = build_projection(store)
        years = projection.attrs["year"][projection.attrs["year"] > 0]
        if len(years) == 0:
            raise InvalidInput("the store holds no dated deals to evaluate on")
        start = test_from or int(years.max()) - 2
        text = Text(build_text_index(store), projection)
        report = evaluate_partners(projection, store, start, start - train_years, text, seed)
    files = write_report(report, report_dir)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
        return
    click.echo(f"partner recommendation: {report['test_cases']} deals from {start} held out; trained on "
               f"{start - train_years}-{start - 1}; true partner among candidates in "
               f"{report['candidate_recall']:.1%}")
    click.echo(f"{'method':<22}{'AUC':>8}{'Hits@10':>9}{'Hits@50':>9}{'MRR':>8}{'NDCG@10':>9}")
    for name, m in report["methods"].items():
        click.echo(f"{name:<22}{m['auc']:>8.4f}{m['hits@10']:>9.4f}{m['hits@50']:>9.4f}{m['mrr']:>8.4f}"
                   f"{m['ndcg@10']:>9.4f}")
    best = report["best_baseline"]
    if best:
        ratio = report["methods"]["model"]["hits@10"] / max(report["methods"][best]["hits@10"], 1e-12)
        click.echo(f"model Hits@10 / best baseline ({best}): {ratio:.2f}x")
    click.echo(f"report: {', '.join(str(f) for f in files)}")


@main.command()
@click.option("--train-years", type=int, default=3, show_default=True, help="years of deals to learn from")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--reuse-text", is_flag=True, help="keep the saved text index (it takes minutes to build at scale)")
def train(train_years: int, seed: int, reuse_text: bool) -> None:
    """Train the partner and collaborator models on the store's graph and save them in
    TECHMATCH_MODEL_DIR, where the service loads them at start."""
    import time

    from graph_service.service import open_service

    settings = get_settings()
    started = time.perf_counter()
    with open_service(settings) as service:
        meta = service.train(train_years, seed, reuse_text)
    p = meta["partners"]
    click.echo(f"partner model: {p['rows']:,} rows from {p['cases']:,} deals of {p['train_years'][0]}-"
               f"{p['train_years'][1]}; collaborator model: {meta['collaborators']['graph_edges']:,} co-authorships")
    click.echo(f"saved in {settings.model_dir} in {time.perf_counter() - started:.1f} s")


@main.command()
def stats() -> None:
    """Print counts per kind of node and relationship."""
    with open_store(get_settings()) as store:
        counts = store.counts()
    click.echo(f"store: {store.kind}")
    for title, table in (("nodes", counts.nodes), ("relationships", counts.rels)):
        click.echo(f"{title}: {sum(table.values()):,}")
        for name, n in sorted(table.items()):
            click.echo(f"  {name:<16} {n:>12,}")


@main.command()
@click.option("--host", default=None, help="default: TECHMATCH_HOST or 127.0.0.1")
@click.option("--port", type=int, default=None, help="default: TECHMATCH_PORT or 8000")
@click.option("--workers", type=click.IntRange(1, 64), default=1, show_default=True,
              help="server processes; each holds its own projection and models (one per core)")
def serve(host: str | None, port: int | None, workers: int) -> None:
    """Serve the API (docs at /docs)."""
    import uvicorn

    from graph_service.api.app import create_app

    settings = get_settings()
    if workers == 1:
        uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port)
    else:  # each worker process builds its app from the same TECHMATCH_* settings
        uvicorn.run("graph_service.api.app:create_app", factory=True, workers=workers,
                    host=host or settings.host, port=port or settings.port)


@main.command()
@click.option("--tier", type=click.Choice(["tiny", "city"]), default=None, help="default: TECHMATCH_DEMO_TIER")
@click.option("--host", default=None)
@click.option("--port", type=int, default=None)
@click.pass_context
def demo(ctx: click.Context, tier: str | None, host: str | None, port: int | None) -> None:
    """Generate and load a demo market if the store is empty, then serve it."""
    from graph_service.auth.demo_accounts import ensure_demo_accounts
    from graph_service.recommend.saved import fitting_dir
    from loaders.generator import generate as run
    from loaders.importer import load_directory

    settings = get_settings()
    tier = tier or settings.demo_tier
    with open_store(settings) as store:
        if sum(store.counts().nodes.values()) == 0:
            out = settings.data_dir / f"demo-{tier}"
            click.echo(f"empty store: generating the {tier} demo market in {out}")
            run(tier, out)
            report = load_directory(store, out)
            store.append_audit(cli_audit("load", str(out.resolve()), rows=report.loaded, demo=True))
            click.echo(f"loaded {report.loaded:,} rows in {report.seconds:.1f} s")
        else:
            click.echo("store already holds data; serving it")
        made = ensure_demo_accounts(store)
        if not store.case_counts():  # a living pipeline for demo-staff: staff, cases, their logs and answers
            from loaders.generator.cases import grow_case_history

            grown = grow_case_history(store)
            click.echo(f"grew a case history: {grown['cases']:,} cases, {grown['staff']} staff")
        fitting = fitting_dir(settings.model_dir, store)
    if fitting is None:
        click.echo(f"no trained models for this store in {settings.model_dir}: training them")
        ctx.invoke(train)
    click.echo("demo accounts (sign in at POST /api/v1/auth/token; new passwords at each start):")
    for username, role, entity, password in made:
        click.echo(f"  {username:<18} {password:<14} {role}{' of ' + entity if entity else ''}")
    os.environ["TECHMATCH_DEMO"] = "1"  # no secret needed: tokens signed with a throw-away key end with the demo
    get_settings.cache_clear()
    ctx.invoke(serve, host=host, port=port, workers=1)


if __name__ == "__main__":
    main()
