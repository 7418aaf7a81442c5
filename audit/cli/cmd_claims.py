"""``election-audit claims``: list a case's claims timeline, or add a claim to its ledger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from audit.cli._common import LazyChoice, emit_json, json_option
from audit.cli._layout import Column, print_table, say


@click.group(short_help="Who announced which figures, when: list, add.")
def claims() -> None:
    """The claims ledger of a case: who announced which figures, when, citing what.

    \b
    Example:
      election-audit claims list venezuela-2024
    """


def _ledger_path(case: str, ledger: Path | None) -> tuple[Any, Path]:
    from audit.cases import load_case

    c = load_case(case)
    return c, ledger if ledger is not None else c.path / "claims.yaml"


@claims.command("list", short_help="Print the timeline of claims of CASE.")
@click.argument("case")
@click.option("--ledger", type=click.Path(dir_okay=False, path_type=Path),
              help="Read this ledger instead of the case's claims.yaml.")
@click.option("--side", type=LazyChoice("audit.ledger:SIDES"),
              help="Only claims of this side.")
@json_option
def list_claims(case: str, ledger: Path | None, side: str | None, as_json: bool) -> None:
    """Print the timeline of claims of CASE (a bundled name or a case folder).

    \b
    Example:
      election-audit claims list venezuela-2024 --side official --json
    """
    from audit.cli.cmd_dispute import compact_time
    from audit.ledger import ClaimLedger, load_ledger

    c, path = _ledger_path(case, ledger)
    if not path.exists():
        led = ClaimLedger(c.election.id, ())
    else:
        led = load_ledger(path, election=c.election)
    chosen = [cl for cl in led.timeline() if side is None or cl.side == side]
    if as_json:
        payload = led.to_dict()
        payload["claims"] = [cl.to_dict() for cl in chosen]
        emit_json({"schema": "election-audit/claims", "schema_version": 1, **payload})
        return
    frame = led.frame(c.election)
    frame = frame[frame["id"].isin([cl.id for cl in chosen])]
    print_table([Column("when"), Column("id"), Column("side", priority=2),
                 Column("coverage", "text", priority=3), Column("figures", "text"),
                 Column("source", "text", priority=4)],
                [(compact_time(str(r["datetime"])), str(r["id"]), str(r["side"]),
                  escape(str(r["coverage"])) or "—", escape(str(r["figures"])),
                  escape(str(r["citation"])) or "—") for r in frame.to_dict("records")],
                title=f"Claims about {c.election.name} ({len(chosen)} of {len(led)})")


def _pairs(values: tuple[str, ...], option: str) -> dict[str, Any]:
    from audit.errors import ClaimsError

    result: dict[str, Any] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ClaimsError(f"{option} expects KEY=VALUE, got {item!r}")
        value = value.strip().replace("_", "")
        result[key.strip()] = int(value) if value.isdigit() and option == "--count" else value
    return result


def _number(value: str | None) -> int | str | None:
    if value is None:
        return None
    text = value.strip().replace("_", "")
    return int(text) if text.isdigit() else text


def _claim_from_file(path: Path) -> dict[str, Any]:
    """One claim mapping read from a YAML file (a mapping, or a list of one)."""
    import yaml

    from audit.errors import ClaimsError

    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ClaimsError(f"{path.name}: not valid YAML ({exc})") from None
    if isinstance(loaded, list) and len(loaded) == 1:
        loaded = loaded[0]
    if not isinstance(loaded, dict):
        raise ClaimsError(f"{path.name}: expected one claim (a YAML mapping)")
    return dict(loaded)


def _source(given: Any, citation: str | None, urls: tuple[str, ...]) -> dict[str, Any]:
    """The claim's source with the citation and URLs of the options."""
    source = dict(given) if isinstance(given, dict) else {}
    if citation:
        source["citation"] = citation
    if len(urls) == 1:
        source["url"] = urls[0]
    elif urls:
        source["urls"] = list(urls)
    return source


@claims.command("add", short_help="Validate a claim and add it to the ledger.")
@click.argument("case")
@click.option("--id", "claim_id", help="Unique id: lowercase letters, digits, '-' and '.'.")
@click.option("--datetime", "when",
              help="ISO 8601 with UTC offset (2024-07-29T00:06:00-04:00), a date, '<=…', or A/B.")
@click.option("--side", type=LazyChoice("audit.ledger:SIDES"),
              help="Who made the claim (the electoral authority is 'official').")
@click.option("--citation", help="Who said it and where it was read.")
@click.option("--url", "urls", multiple=True, help="Source URL (repeatable).")
@click.option("--series", help="Which succession the claim belongs to (default: the side).")
@click.option("--basis", type=LazyChoice("audit.ledger:BASES"),
              help="What the figures rest on.")
@click.option("--scope", help="'national' (default) or a region code.")
@click.option("--scope-level", help="Region level of --scope (e.g. state).")
@click.option("--count", "counts", multiple=True, metavar="KEY=N",
              help="Votes of a candidate (or OTHERS), exact or rounded ('6.89M'). Repeatable.")
@click.option("--pct", "pcts", multiple=True, metavar="KEY=P",
              help="Percentage as announced, e.g. NM=51.20 (the digits keep the precision).")
@click.option("--percent-base", type=LazyChoice("audit.ledger:PERCENT_BASES"),
              help="What the percentages are shares of.")
@click.option("--valid", help="Valid votes.")
@click.option("--null", "null_votes", help="Null votes.")
@click.option("--blank", "blank_votes", help="Blank votes.")
@click.option("--voters", help="Voters (ballots cast).")
@click.option("--registered", help="Registered voters.")
@click.option("--turnout", help="Turnout percentage as announced.")
@click.option("--valid-pct", help="Valid votes as a percentage of voters, as announced.")
@click.option("--null-pct", help="Null votes as a percentage of voters, as announced.")
@click.option("--tables-pct", help="Coverage: percentage of tables, as announced.")
@click.option("--tables", type=int, help="Coverage: number of tables.")
@click.option("--coverage-registered", help="Coverage: registered voters of the covered tables.")
@click.option("--registered-pct", help="Coverage: percentage of registered voters.")
@click.option("--sample-units", type=int, help="Sample: polling places sampled at random.")
@click.option("--derived", is_flag=True, default=None,
              help="The figures were recomputed by a third party.")
@click.option("--endorses", multiple=True, help="Id of a claim whose figures this one "
                                                 "endorses (repeatable).")
@click.option("--notes", help="Anything a reader should know.")
@click.option("--from-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Read the claim from a YAML file (one mapping); options override it.")
@click.option("--ledger", type=click.Path(dir_okay=False, path_type=Path),
              help="Append to this ledger instead of the case's claims.yaml.")
@click.option("--dry-run", is_flag=True, help="Validate and show the claim without writing.")
@json_option
def add_claim(case: str, claim_id: str | None, when: str | None, side: str | None,
              citation: str | None, urls: tuple[str, ...], series: str | None,
              basis: str | None, scope: str | None, scope_level: str | None,
              counts: tuple[str, ...], pcts: tuple[str, ...], percent_base: str | None,
              valid: str | None, null_votes: str | None, blank_votes: str | None,
              voters: str | None, registered: str | None, turnout: str | None,
              valid_pct: str | None, null_pct: str | None, tables_pct: str | None,
              tables: int | None, coverage_registered: str | None,
              registered_pct: str | None, sample_units: int | None, derived: bool | None,
              endorses: tuple[str, ...], notes: str | None, from_file: Path | None,
              ledger: Path | None, dry_run: bool, as_json: bool) -> None:
    """Validate a claim and append it to the ledger of CASE, keeping the file's comments.

    Every field is validated against the case's election (candidate keys, regions) before
    anything is written; a bad field stops with one line naming the claim, field, value and
    rule. Percentages keep the digits you type ("51.20" is not "51.2").

    \b
    Example:
      election-audit claims add venezuela-2024 --id cne-b1 \\
          --datetime 2024-07-29T00:06:00-04:00 --side official \\
          --citation "CNE Bulletin 1 (Xinhua, 29 Jul 2024)" --tables-pct 80 \\
          --count NM=5150092 --count EG=4445978 --count OTHERS=462704 \\
          --pct NM=51.20 --pct EG=44.2 --pct OTHERS=4.6 --turnout 59 --dry-run
    """
    from audit.cases import is_bundled
    from audit.errors import ClaimsError
    from audit.ledger import append_claim, headline, load_ledger

    c, path = _ledger_path(case, ledger)
    if ledger is None and is_bundled(c) and not dry_run:
        raise ClaimsError(f"{c.name} is a bundled case, installed with the package: copy it "
                          f"to a folder of your own first (election-audit cases copy {c.name} "
                          f"my-case), then add the claim to my-case")
    claim = _claim_from_file(from_file) if from_file is not None else {}
    simple = {"id": claim_id, "datetime": when, "side": side, "series": series,
              "basis": basis, "scope": scope, "scope_level": scope_level,
              "percent_base": percent_base, "valid": _number(valid),
              "null_votes": _number(null_votes), "blank_votes": _number(blank_votes),
              "voters": _number(voters), "registered": _number(registered),
              "turnout_pct": turnout, "valid_pct": valid_pct, "null_pct": null_pct,
              "derived": derived, "notes": notes}
    order = ["id", "datetime", "side", "series", "basis", "source", "scope", "scope_level",
             "coverage", "counts", "percentages", "percent_base", "valid", "null_votes",
             "blank_votes", "voters", "registered", "turnout_pct", "valid_pct", "null_pct",
             "derived", "endorses", "notes"]
    claim.update({k: v for k, v in simple.items() if v is not None})
    if citation or urls:
        claim["source"] = _source(claim.get("source"), citation, urls)
    coverage = {"tables_pct": tables_pct, "tables": tables,
                "registered": _number(coverage_registered), "registered_pct": registered_pct,
                "sample_units": sample_units}
    if any(v is not None for v in coverage.values()):
        merged = dict(claim.get("coverage") or {})
        merged.update({k: v for k, v in coverage.items() if v is not None})
        claim["coverage"] = merged
    if counts:
        claim["counts"] = {**dict(claim.get("counts") or {}), **_pairs(counts, "--count")}
    if pcts:
        claim["percentages"] = {**dict(claim.get("percentages") or {}), **_pairs(pcts, "--pct")}
    if endorses:
        claim["endorses"] = list(endorses)
    claim = {k: claim[k] for k in sorted(claim, key=lambda k: order.index(k)
                                         if k in order else len(order))}
    if dry_run:
        from audit.ledger import ClaimValidationError, parse_claim

        parsed, problems = parse_claim(claim, election=c.election)
        if problems:
            raise ClaimValidationError("new claim", problems)
        assert parsed is not None
        if path.exists():
            existing = load_ledger(path, election=c.election)
            if any(x.id == parsed.id for x in existing.claims):
                raise ClaimsError(f"{path.name}: a claim with id {parsed.id!r} already exists")
        added = parsed
    else:
        added = append_claim(path, claim, election=c.election)
    if as_json:
        emit_json({"schema": "election-audit/claims-add", "schema_version": 1,
                   "ledger": str(path), "written": not dry_run, "claim": added.to_dict()})
        return
    verb = "valid (not written, --dry-run)" if dry_run else f"added to {path}"
    say(f"claim [bold]{escape(added.id)}[/bold] {escape(verb)}: "
        f"{escape(headline(added, c.election))}")


command = claims
