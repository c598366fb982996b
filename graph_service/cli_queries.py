"""`techmatch partners | needs | teams | collaborators | path | community`: the API's questions from
the command line. Each builds the very response the API returns (the route functions are the one
place responses are made) and prints it readably, or as that JSON with `--json`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator, Sequence

import click
from pydantic import BaseModel

from graph_service.api.routes import graph as graph_routes
from graph_service.api.routes import recommendations as rec_routes
from graph_service.api.schemas import EntityRef, ExplanationPath, NeedStatusOut, PathRel
from graph_service.auth.actor import OPERATOR
from graph_service.schema import RelType
from graph_service.service import open_service

JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="print the API's JSON response instead")


def _show(answer: BaseModel | Sequence[BaseModel], as_json: bool, readable: Callable[[], Iterator[str]]) -> None:
    if as_json:
        data = answer.model_dump(mode="json") if isinstance(answer, BaseModel) else [
            a.model_dump(mode="json") for a in answer]
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        for line in readable():
            click.echo(line)


def _name(e: EntityRef) -> str:
    return f"{e.name or e.id} ({e.id})" if e.name else e.id


def _status(s: NeedStatusOut | None) -> str:
    """ [已过期，截止 2024-05-01]: a need's status as people read it."""
    return "" if s is None else f" [{s.label}{f'，截止 {s.deadline}' if s.deadline else ''}]"


def _walk(path: ExplanationPath) -> str:
    """a -TYPE-> b <-TYPE- c: each relationship drawn in its stored direction."""
    out = _name(path.nodes[0])
    for rel, (a, b) in zip(path.relationships, zip(path.nodes, path.nodes[1:])):
        forward = rel.src == a.id
        out += f" -{rel.type}-> {_name(b)}" if forward else f" <-{rel.type}- {_name(b)}"
    return out


@click.command()
@click.option("--need", default=None, help="a need's id")
@click.option("--enterprise", default=None, help="an enterprise's id (its fields and history)")
@click.option("--text", default="", help="extra words to match")
@click.option("--top-k", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--region", default=None, help="only candidates located in this region: id or name (成都市)")
@click.option("--circle", default=None, help="only candidates in this economic circle: id or name (成渝)")
@click.option("--institution-kind", default=None, help="code or name: university or 大学, ...")
@click.option("--min-evidence", type=click.IntRange(0, 7), default=0, show_default=True)
@click.option("--exclude-partners", is_flag=True, help="leave out researchers the enterprise signed with")
@JSON_OPTION
def partners(need: str | None, enterprise: str | None, text: str, top_k: int, region: str | None,
             circle: str | None, institution_kind: str | None, min_evidence: int, exclude_partners: bool,
             as_json: bool) -> None:
    """Researchers and institutions to partner with, each with the graph paths behind it."""
    with open_service() as service:
        out = asyncio.run(rec_routes.partners(service, OPERATOR, enterprise, need, text, top_k, region, circle,
                                              institution_kind, min_evidence, exclude_partners))

    def readable() -> Iterator[str]:
        asked = out.need or out.enterprise
        yield (f"partners for {_name(asked)}{_status(out.need_status)}: "
               f"{len(out.partners)} of {out.considered} candidates scored")
        for rank, s in enumerate(out.partners, 1):
            words = f"; words: {', '.join(s.matched_words)}" if s.matched_words else ""
            yield f"{rank:>3}. {_name(s.researcher)}  score {s.score:.3f}  evidence {s.evidence}{words}"
            for path in s.paths:
                yield f"       {path.kind}: {_walk(path)}"
        if out.institutions:
            yield "institutions: " + "; ".join(f"{_name(i.institution)} ({len(i.researchers)})"
                                               for i in out.institutions[:10])

    _show(out, as_json, readable)


@click.command()
@click.argument("researcher")
@click.option("--top-k", type=click.IntRange(1, 100), default=10, show_default=True)
@click.option("--challenges-only", is_flag=True, help="only 揭榜挂帅 challenges")
@JSON_OPTION
def needs(researcher: str, top_k: int, challenges_only: bool, as_json: bool) -> None:
    """Open needs and 揭榜挂帅 challenges that fit a researcher."""
    with open_service() as service:
        out = rec_routes.needs(researcher, service, OPERATOR, top_k, challenges_only)

    def readable() -> Iterator[str]:
        for rank, n in enumerate(out, 1):
            words = f"; words: {', '.join(n.matched_words)}" if n.matched_words else ""
            yield (f"{rank:>3}. [{n.kind}] {_name(n.need)}{_status(n.status)} of {_name(n.enterprise)}  "
                   f"score {n.score:.3f}{words}")

    _show(out, as_json, readable)


@click.command()
@click.argument("need")
@click.option("--count", type=click.IntRange(1, 10), default=3, show_default=True)
@click.option("--min-size", type=click.IntRange(1, 6), default=2, show_default=True)
@click.option("--max-size", type=click.IntRange(1, 6), default=4, show_default=True)
@JSON_OPTION
def teams(need: str, count: int, min_size: int, max_size: int, as_json: bool) -> None:
    """Small teams whose expertise together covers a challenge's fields (CP-SAT)."""
    with open_service() as service:
        out = rec_routes.teams(need, service, OPERATOR, count, min_size, max_size)

    def readable() -> Iterator[str]:
        fields = ", ".join(_name(f) for f in out.fields)
        yield f"teams for {_name(out.need)}{_status(out.need_status)}; fields: {fields}"
        for rank, t in enumerate(out.teams, 1):
            proof = "optimal" if t.optimal else "best found"
            yield f"{rank:>3}. objective {t.objective:.2f} ({proof}); uncovered: " + \
                (", ".join(_name(f) for f in t.uncovered) or "none")
            for m in t.members:
                yield f"       {_name(m.researcher)}: {', '.join(_name(f) for f in m.fields)}"
            for tie in t.ties:
                yield f"       tie {tie.kind}: {tie.a} - {tie.b}"

    _show(out, as_json, readable)


@click.command()
@click.argument("researcher")
@click.option("--top-k", type=click.IntRange(1, 100), default=10, show_default=True)
@JSON_OPTION
def collaborators(researcher: str, top_k: int, as_json: bool) -> None:
    """Researchers likely to collaborate next with this one."""
    with open_service() as service:
        out = rec_routes.collaborators(researcher, service, OPERATOR, top_k)

    def readable() -> Iterator[str]:
        for rank, c in enumerate(out, 1):
            via = ", ".join(_name(x) for x in c.common_coauthors[:3])
            yield (f"{rank:>3}. {_name(c.researcher)}  score {c.score:.2f}"
                   + (f"; common co-authors: {via}" if via else "")
                   + ("; same institution" if c.same_institution else ""))

    _show(out, as_json, readable)


@click.command()
@click.argument("a")
@click.argument("b")
@click.option("--max-hops", type=click.IntRange(1, 10), default=6, show_default=True)
@click.option("--type", "types", multiple=True, type=click.Choice([t.value for t in RelType]),
              help="walk only these relationship types (repeatable; default: all)")
@JSON_OPTION
def path(a: str, b: str, max_hops: int, types: tuple[str, ...], as_json: bool) -> None:
    """How two entities are connected: the shortest and the strongest path."""
    with open_service() as service:
        out = graph_routes.paths(service, a, b, [RelType(t) for t in types] or None, max_hops)

    def readable() -> Iterator[str]:
        if not out.connected:
            yield out.reason or ""
            return
        for kind, nodes, rels in (("shortest", out.shortest, out.shortest_relationships),
                                  ("strongest", out.strongest, out.strongest_relationships)):
            walk = ExplanationPath(kind=kind, nodes=nodes, relationships=[
                PathRel(type=r.type, src=r.src, dst=r.dst) for r in rels])
            yield f"{kind} ({len(rels)} hops): {_walk(walk)}"

    _show(out, as_json, readable)


@click.command()
@click.argument("node")
@click.option("--radius", type=click.IntRange(1, 3), default=2, show_default=True)
@JSON_OPTION
def community(node: str, radius: int, as_json: bool) -> None:
    """The node's community (Louvain) in its co-authorship neighbourhood."""
    with open_service() as service:
        out = graph_routes.community(node, service, None, radius, 5000)

    def readable() -> Iterator[str]:
        yield (f"{len(out.members)} members (one of {out.communities} communities among "
               f"{out.neighbourhood:,} nodes within {radius} hops)")
        for m in out.members[:50]:
            yield f"  {_name(m)}"

    _show(out, as_json, readable)


COMMANDS = (partners, needs, teams, collaborators, path, community)
