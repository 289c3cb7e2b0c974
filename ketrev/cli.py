"""The ``ketrev`` command: parses arguments and calls the library; nothing more."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pandas as pd

from ketrev import __version__
from ketrev.errors import DataError, KetrevError, UsageError
from ketrev.evidence import Evidence, load_evidence
from ketrev.inclusion import DEFAULT, load_inclusion, select
from ketrev.paths import Layout
from ketrev.tabulate import MIN_STUDIES, RULES, characteristics, molecule_counts, study_directions

__all__ = ["main"]

DEFAULT_DATA = "data"
STUDY_COLUMNS = ("evidence_type", "species", "model", "ketamine_form", "antidepressant_effect", "year")


def _votes(ev: Evidence, rule: str, by: str = "molecule") -> pd.DataFrame:
    from ketrev.synthesis import vote_count  # statistics are imported only when asked for

    return vote_count(study_directions(ev.findings_long(), by=by, rule=rule), by=by)


def _prisma(ev: Evidence, rule: str) -> pd.DataFrame:
    from ketrev.prisma import prisma_counts

    return prisma_counts(ev)


TABLES: dict[str, Callable[[Evidence, str], pd.DataFrame]] = {
    **{col: (lambda ev, rule, col=col: characteristics(ev.studies, by=col)) for col in STUDY_COLUMNS},
    "molecule": lambda ev, rule: molecule_counts(ev.findings_long(), by="molecule"),
    "family": lambda ev, rule: molecule_counts(ev.findings_long(), by="family"),
    "direction": _votes,
    "family-direction": lambda ev, rule: _votes(ev, rule, by="family"),
    "prisma": _prisma,
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ketrev", description="Validate, tabulate and publish the evidence base of "
                                     "ketamine's rapid antidepressant mechanisms.")
    parser.add_argument("--version", action="version", version=f"ketrev {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def data_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--data", default=DEFAULT_DATA, metavar="DIR", help="data folder (default: %(default)s)")

    def inclusion_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--inclusion", default=DEFAULT, metavar="NAME", help="inclusion set (default: %(default)s)")

    p = commands.add_parser("validate", help="check the evidence base against the data contract")
    data_option(p)
    p = commands.add_parser("tabulate", help="print a table of the (selected) evidence base")
    data_option(p)
    inclusion_option(p)
    p.add_argument("--by", required=True, choices=list(TABLES), help="what to tabulate")
    p.add_argument("--rule", default="majority", choices=list(RULES), help="per-study direction rule")
    p.add_argument("--csv", action="store_true", help="write CSV to standard output")

    p = commands.add_parser("robustness", help="vote counts across every specification of inclusion choices")
    data_option(p)
    inclusion_option(p)
    p.add_argument("--by", default="molecule", choices=["molecule", "family"], help="unit (default: %(default)s)")
    p.add_argument("--min-studies", type=int, default=MIN_STUDIES, metavar="N",
                   help="fewest studies with a direction for a specification to count (default: %(default)s)")
    p.add_argument("--csv", action="store_true", help="write the summary as CSV to standard output")
    p = commands.add_parser("compare", help="compare two inclusion sets")
    data_option(p)
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")
    p.add_argument("--by", default="molecule", choices=["molecule", "family"], help="unit (default: %(default)s)")

    def build_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--jobs", type=_positive, default=2, metavar="N", help="notebooks executed at once (default: %(default)s)")
        p.add_argument("--isolated", action="store_true",
                       help="run every notebook in its own fresh Jupyter kernel (slower; the default forks warm workers)")

    p = commands.add_parser("build", help="execute the notebooks (cached) and build the book")
    data_option(p)
    p.add_argument("--inclusion", nargs="+", default=[DEFAULT], metavar="NAME", help="inclusion set(s) (default: %(default)s)")
    build_options(p)
    p = commands.add_parser("release", help="build the book as version VERSION into site/VERSION")
    data_option(p)
    p.add_argument("version", metavar="VERSION", help="a PEP 440 version (1.0, 1.1rc1, ...)")
    p.add_argument("--force", action="store_true", help="replace an existing release")
    build_options(p)
    p = commands.add_parser("serve", help="serve the versioned site on localhost")
    p.add_argument("--port", type=_port, default=8000, help="port (default: %(default)s; 0 picks a free one)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    return parser


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (0 to 65535; 0 picks a free one)")
    return int(text)


def _validate(args: argparse.Namespace) -> int:
    from ketrev.inclusion import check_inclusion_sets, list_inclusion_sets

    ev = load_evidence(args.data)
    problems = check_inclusion_sets(ev)
    if problems:
        raise DataError(problems)
    print(f"{args.data}: valid ({len(ev.studies)} studies, {len(ev.findings)} findings, "
          f"{len(ev.screening)} screening records, {len(ev.searches)} searches; "
          f"inclusion sets {', '.join(list_inclusion_sets(args.data))})")
    return 0


def _tabulate(args: argparse.Namespace) -> int:
    ev = select(load_evidence(args.data), load_inclusion(args.data, args.inclusion))
    table = TABLES[args.by](ev, args.rule)
    if args.csv:
        table.to_csv(sys.stdout, index=False, lineterminator="\n")
        return 0
    print(f"Inclusion set '{ev.inclusion}': {len(ev.studies)} studies, {len(ev.findings)} findings\n")
    if table.empty:
        print("Nothing to tabulate: no study of this selection has a finding.")
        return 0
    print(table.to_string(index=False, float_format=lambda x: f"{x:.3f}".rstrip("0").rstrip(".")))
    if "direction" in args.by:
        print(f"\nRule: {RULES[args.rule]} Proportion increase = increase / (increase + decrease), "
              "Wilson 95% CI; sign test two-sided, Holm-adjusted across rows.")
    return 0


def _robustness(args: argparse.Namespace) -> int:
    from ketrev.robustness import leave_one_out, multiverse, robustness_summary

    if args.min_studies < 1:
        raise UsageError("--min-studies must be at least 1")
    ev = select(load_evidence(args.data), load_inclusion(args.data, args.inclusion))
    start = time.perf_counter()
    runs = multiverse(ev, by=args.by, min_studies=args.min_studies)
    summary = robustness_summary(runs, leave_one_out(ev, by=args.by), by=args.by)
    seconds = time.perf_counter() - start
    if summary.empty and not args.csv:
        print(f"Inclusion set '{ev.inclusion}': no study of this selection has a finding; nothing to rank.")
        return 0
    if args.csv:
        summary.to_csv(sys.stdout, index=False, lineterminator="\n")
        return 0
    print(f"Inclusion set '{ev.inclusion}': {runs.attrs['n_specifications']} specifications × {summary.shape[0]} "
          f"{args.by}s in {seconds:.2f} s; a specification needs at least {args.min_studies} studies with a "
          "direction to count\n")
    print(summary.to_string(index=False, float_format=lambda x: f"{x:.2f}"))
    print("\nShares are over evaluable specifications; majority = the direction of the reference "
          "(every choice 'all', majority rule); significance = Holm-adjusted sign test < 0.05.")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from ketrev.compare import compare_sets

    ev = load_evidence(args.data)
    a, b = (select(ev, load_inclusion(args.data, name)) for name in (args.a, args.b))
    only_a, only_b, changed = compare_sets(a, b, by=args.by)
    print(f"'{args.a}': {len(a.studies)} studies; '{args.b}': {len(b.studies)} studies\n")
    print(f"Only in '{args.a}' ({len(only_a)}): {', '.join(only_a) or '-'}")
    print(f"Only in '{args.b}' ({len(only_b)}): {', '.join(only_b) or '-'}\n")
    if changed.empty:
        print(f"No {args.by} differs in counts, majority direction or significance.")
    else:
        print(f"{len(changed)} {args.by}s differ (suffix _a = '{args.a}', _b = '{args.b}'):\n")
        print(changed.to_string(index=False, float_format=lambda x: f"{x:.2f}", na_rep="-"))
    return 0


def _checkout() -> Layout:
    root = Path.cwd()
    if not ((root / "_config.yml").exists() and (root / "notebooks").is_dir()):
        raise UsageError(f"{root}: not a ketrev checkout (no _config.yml and notebooks/); run from the repository root")
    return Layout(root)


def _build(args: argparse.Namespace) -> int:
    from ketrev.pipeline import build_book
    from ketrev.site import DEV, publish_version

    layout = _checkout()
    for name in args.inclusion:
        load_inclusion(args.data, name)  # unknown names fail before anything runs
    for name in args.inclusion:
        targets = [layout.html(name)] + ([layout.site / DEV] if name == DEFAULT else [])
        build_book(layout.root, data_dir=Path(args.data), inclusion=name, jobs=args.jobs, targets=targets,
                   executor="isolated" if args.isolated else None)
        print(f"Book for '{name}': {layout.html(name) / 'index.html'}")
    if DEFAULT in args.inclusion:
        publish_version(layout.site)
        print(f"Unreleased build also in {layout.site / DEV}; 'ketrev serve' shows the versioned site")
    return 0


def _release(args: argparse.Namespace) -> int:
    from ketrev.pipeline import build_book
    from ketrev.site import check_version, publish_version

    layout = _checkout()
    version = check_version(args.version, layout.site)
    target = layout.site / version
    if target.exists() and not args.force:
        raise UsageError(f"{target} exists; use --force to replace release {version}")
    build_book(layout.root, data_dir=Path(args.data), version=version, jobs=args.jobs, targets=[target],
               executor="isolated" if args.isolated else None)
    publish_version(layout.site)
    print(f"Released {version}: {target / 'index.html'}; 'ketrev serve' shows it")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from ketrev.site import serve

    serve(_checkout().site, host=args.host, port=args.port)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 1 data problems, 2 usage)."""
    args = _parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _terminated)  # clean up like Ctrl-C: temporary folders, workers
    handler = {"validate": _validate, "tabulate": _tabulate, "robustness": _robustness, "compare": _compare,
               "build": _build, "release": _release, "serve": _serve}[args.command]
    try:
        return handler(args)
    except DataError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"{getattr(args, 'data', '.')}: {exc.summary}; the data break the contract", file=sys.stderr)
        return exc.exit_code
    except KetrevError as exc:
        print(f"ketrev: {exc}", file=sys.stderr)
        return exc.exit_code
    except BrokenPipeError:
        sys.stderr.close()  # the reader went away (e.g. `| head`); not an error
        return 0
    except KeyboardInterrupt:
        print("ketrev: interrupted; the previous book is unchanged", file=sys.stderr)
        return 130
    except OSError as exc:  # a file the user's machine refused: one line, no traceback
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"ketrev: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
