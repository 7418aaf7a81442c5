"""False-positive rates of the calibrated checks on simulated clean elections.

Usage: ``python scripts/calibrate_checks.py [--elections 200] [--tables 5000]
[--resamples 199] [--family digits] [--seed 0] [--out calibration.csv]``. Prints, for each
calibrated check, the share of elections rejected at alpha = 0.05 with a Wilson 95% interval;
exits with status 1 when a rate lies outside [0.02, 0.08] (the acceptance band of issue 4).
Run by ``nox -s calibrate``.
"""

from __future__ import annotations

import argparse
import sys
import time

from audit.checks._calibration import calibrate
from audit.checks.registry import registered

BAND = (0.02, 0.08)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elections", type=int, default=200)
    parser.add_argument("--tables", type=int, default=5_000)
    parser.add_argument("--resamples", type=int, default=199)
    parser.add_argument("--family", action="append", default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="write the per-election p-values (CSV)")
    args = parser.parse_args(argv)
    specs = [s for s in registered() if s.calibrated and s.fast
             and (args.family is None or s.family in args.family)]
    start = time.perf_counter()

    def tick(done: int) -> None:
        if done % 10 == 0 or done == args.elections:
            print(f"  {done}/{args.elections} elections, {time.perf_counter() - start:.0f} s",
                  file=sys.stderr, flush=True)

    result = calibrate(specs, n_elections=args.elections, n_tables=args.tables,
                       n_resamples=args.resamples, rng=args.seed, progress=tick)
    if args.out:
        result.pvalues.to_csv(args.out, index=False)
    rates = result.rates()
    print(f"{args.elections} clean elections x {args.tables:,} tables, {args.resamples} "
          f"redraws, alpha = {result.alpha}, seed {args.seed}")
    failed = False
    for row in rates.itertuples():
        ok = BAND[0] <= row.rate <= BAND[1]
        failed |= not ok
        print(f"{row.test:34s} FPR {row.rate:.3f}  [{row.ci_low:.3f}, {row.ci_high:.3f}]  "
              f"mean p {row.mean_pvalue:.3f}  {'ok' if ok else 'OUTSIDE ' + str(BAND)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
