"""``election-audit sample-size``: how many actas to read by hand, and which."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from audit.cli._common import emit_json, fmt_int, join_options, json_option, mapping_option
from audit.cli._layout import Column, print_table, say


@click.command(name="sample-size",
               short_help="Plan a hand audit of sheets against images.")
@click.argument("file", required=False, type=click.Path(path_type=Path))
@mapping_option
@join_options
@click.option("--winner", help="Reported winner's candidate key in FILE (default: the leader).")
@click.option("--loser", "losers", multiple=True,
              help="Candidate key whose margin is audited (repeatable; default: all others).")
@click.option("--winner-votes", type=click.FloatRange(min=0),
              help="Reported winner's total (without FILE).")
@click.option("--loser-votes", type=click.FloatRange(min=0),
              help="Reported runner-up's total (without FILE).")
@click.option("--ballots", type=click.FloatRange(min=0),
              help="Total ballots (without FILE).")
@click.option("--alpha", "alphas", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              multiple=True, help="Risk limit (repeatable; default 0.05 and 0.01).")
@click.option("--share", type=click.FloatRange(0.5, 1, min_open=True, max_open=True),
              help="Winner's share of the two-candidate vote, for a BRAVO ballot-polling "
                   "audit's average sample number.")
@click.option("--error-rate", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              help="Actas to read so that, with no error found, the transcription error rate "
                   "is below this (at --confidence).")
@click.option("--confidence", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.95, show_default=True,
              help="Confidence with which --error-rate bounds the transcription error rate "
                   "(e.g. 0.95 for 95%).")
@click.option("--public-seed", help="With FILE: draw the actas to read (PPEB) from this public "
                                    "seed, e.g. the digits of 20 dice rolls.")
@json_option
def sample_size(file: Path | None, mapping: str | None, join_file: Path | None,
                join_on: tuple[str, ...], winner: str | None,
                losers: tuple[str, ...], winner_votes: float | None,
                loser_votes: float | None, ballots: float | None, alphas: tuple[float, ...],
                share: float | None, error_rate: float | None, confidence: float,
                public_seed: str | None, as_json: bool) -> None:
    """Plan a hand audit of digitised tally sheets against their images.

    With FILE (or --winner-votes, --loser-votes, --ballots): the number of actas to draw with
    probability proportional to their error bound (PPEB) so that, if none shows an error, the
    reported outcome is confirmed at each risk limit (Kaplan–Markov). With --public-seed the
    actas to read are drawn reproducibly. --share gives the BRAVO average sample number;
    --error-rate the actas needed to bound the transcription error rate.

    \b
    Example:
      election-audit sample-size --winner-votes 6890000 --loser-votes 3130000 \\
          --ballots 10260000
      election-audit sample-size RESULTADOS_2024_CSV_V2.csv --loser NM \\
          --public-seed 38405817294016637281
    """
    from audit._version import __version__
    from audit.checks.sampling import (
        bravo_asn,
        draw_sample,
        error_rate_sample_size,
        plan_batch_audit,
        ppeb_sample_size,
        zero_discrepancy_sample_size,
    )
    from audit.errors import AuditError
    from audit.ingest import read_sheets

    alphas = alphas or (0.05, 0.01)
    payload: dict[str, Any] = {"schema": "election-audit/sample-size", "schema_version": 1,
                               "package_version": __version__, "alphas": list(alphas)}
    totals = (winner_votes, loser_votes, ballots)
    if file is not None and any(v is not None for v in totals):
        raise AuditError("give FILE or --winner-votes/--loser-votes/--ballots, not both")
    if public_seed is not None and file is None:
        raise AuditError("--public-seed draws actas from FILE; give the file")
    if file is not None:
        sheets = read_sheets(file, profile=mapping, join=join_file, join_on=join_on).sheets
        plans = [plan_batch_audit(sheets, winner=winner, losers=losers or None, alpha=a)
                 for a in alphas]
        summary = plans[0].to_dict()
        payload["ppeb"] = {k: summary[k] for k in ("winner", "losers", "margins", "ballots",
                                                   "batches", "total_error_bound",
                                                   "source_sha256")}
        payload["ppeb"]["sample_sizes"] = {str(p.alpha): p.sample_size for p in plans}
        if public_seed is not None:
            draws = draw_sample(plans[0], plans[0].sample_size, seed=public_seed)
            payload["draws"] = {"seed": public_seed, "alpha": plans[0].alpha,
                                "rows": draws.to_dict(orient="records")}
    elif winner_votes is not None and loser_votes is not None and ballots is not None:
        try:
            u, _ = ppeb_sample_size(winner_votes, loser_votes, ballots, alpha=alphas[0])
        except ValueError as exc:
            raise AuditError(str(exc)) from exc
        payload["ppeb"] = {"total_error_bound": u, "margin": winner_votes - loser_votes,
                           "ballots": ballots, "sample_sizes": {
                               str(a): zero_discrepancy_sample_size(u, a) for a in alphas}}
    elif any(v is not None for v in totals):
        raise AuditError("give all three of --winner-votes, --loser-votes and --ballots")
    if share is not None:
        payload["bravo_asn"] = {str(a): bravo_asn(share, alpha=a) for a in alphas}
        payload["share"] = share
    if error_rate is not None:
        payload["error_rate"] = {"max_rate": error_rate, "confidence": confidence,
                                 "sample_size": error_rate_sample_size(
                                     error_rate, confidence=confidence)}
    if len(payload) == 4:
        raise AuditError("nothing to compute: give FILE, the three totals, --share or "
                         "--error-rate")
    if as_json:
        emit_json(payload)
        return
    _print(payload)


def _print(payload: dict[str, Any]) -> None:
    if "ppeb" in payload:
        ppeb = payload["ppeb"]
        say(f"PPEB batch-comparison audit: total error bound U = "
            f"{ppeb['total_error_bound']:.4f}")
        print_table([Column("risk limit"),
                     Column("actas to read if none shows an error", "number")],
                    [(alpha, fmt_int(n)) for alpha, n in ppeb["sample_sizes"].items()])
    if "draws" in payload:
        d = payload["draws"]
        say(f"actas drawn with public seed {escape(repr(d['seed']))} (risk limit "
            f"{d['alpha']}):")
        print_table([Column("draw", "number"), Column("table"), Column("file line", "number")],
                    [(str(row["draw"]),
                      escape(f"{row['center_id']}/{row['table_id']}".lstrip("/")),
                      str(row["line"])) for row in d["rows"]])
    if "bravo_asn" in payload:
        for alpha, asn in payload["bravo_asn"].items():
            say(f"BRAVO ballot-polling audit, winner share {payload['share']}, risk "
                f"limit {alpha}: about {asn:,.0f} ballots on average")
    if "error_rate" in payload:
        e = payload["error_rate"]
        say(f"actas to read (none with an error) to bound the transcription error rate "
            f"below {100 * e['max_rate']:g}% at {100 * e['confidence']:g}% confidence: "
            f"{fmt_int(e['sample_size'])}")


command = sample_size
