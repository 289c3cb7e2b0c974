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
from ketrev.analysis import MIN_STUDIES
from ketrev.build.paths import Layout
from ketrev.errors import DataError, KetrevError, UsageError, os_reason
from ketrev.evidence import Evidence, load_evidence
from ketrev.inclusion import DEFAULT, load_inclusion, select
from ketrev.tabulate import RULES, characteristics, molecule_counts
from ketrev.text import did_you_mean

__all__ = ["main"]

DEFAULT_DATA = "data"
STUDY_COLUMNS = ("evidence_type", "species", "model", "design", "ketamine_form", "antidepressant_effect", "year",
                 "year_basis")


def _votes(ev: Evidence, rule: str, by: str = "outcome") -> pd.DataFrame:
    """The book's vote-count table (with the state of evidence) for the majority rule; the counts alone for another."""
    from ketrev.summary import outcome_summary, outcome_votes  # statistics are imported only when asked for

    return outcome_summary(ev, by=by) if rule == "majority" else outcome_votes(ev, by=by, rule=rule)


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


def _printable(table: pd.DataFrame) -> pd.DataFrame:
    """A table as the command line prints it: whole counts, p-values as ``< 0.001`` or three
    decimals, other numbers to three decimals, empty values as ``—`` (never NaN)."""
    from ketrev.views import NONE, format_count, format_p

    out = pd.DataFrame(index=table.index)
    for col in table.columns:
        values = table[col]
        if col in ("p", "p_sign", "p_holm", "reference_p"):
            out[col] = values.map(format_p)
        elif col.startswith(("n_", "pre_n_", "cli_n_")) or pd.api.types.is_integer_dtype(values) or col == "year":
            out[col] = values.map(format_count)
        elif pd.api.types.is_bool_dtype(values):
            out[col] = values.map(lambda v: "yes" if v else "no")
        elif pd.api.types.is_numeric_dtype(values):
            out[col] = values.map(lambda v: NONE if pd.isna(v) else f"{v:.3f}")
        else:
            out[col] = values.fillna("").astype(str).replace("", NONE)
    return out


#: The columns a vote-count table prints on the console (``--csv`` has every column).
_SHOWN = ("outcome", "family", "analysis", "level", "n_studies", "n_increase", "n_decrease", "n_no_change", "n_mixed",
          "proportion_increase", "p_sign", "p_holm", "state_words")


def _print(table: pd.DataFrame) -> None:
    print(_printable(table).to_string(index=False))


def _choice(options: list[str], what: str) -> Callable[[str], str]:
    """An argparse type that accepts one of ``options`` and suggests the closest when mistyped."""
    def check(text: str) -> str:
        if text not in options:
            raise argparse.ArgumentTypeError(f"invalid choice: {text!r}{did_you_mean(text, options)} "
                                             f"(choose {what} from {', '.join(options)})")
        return text
    return check


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
    p.add_argument("--by", required=True, type=_choice(list(TABLES), "what to tabulate"), metavar="WHAT",
                   help=f"what to tabulate: {', '.join(TABLES)}")
    p.add_argument("--rule", default="majority", choices=list(RULES), help="per-study direction rule")
    p.add_argument("--csv", action="store_true", help="write CSV to standard output")

    p = commands.add_parser("robustness", help="vote counts across every specification of inclusion choices")
    data_option(p)
    inclusion_option(p)
    p.add_argument("--by", default="outcome", type=_choice(["outcome", "molecule", "family"], "a unit"),
                   metavar="UNIT", help="outcome (the review's molecules and the rest), molecule or family "
                                        "(default: %(default)s)")
    p.add_argument("--min-studies", type=int, default=MIN_STUDIES, metavar="N",
                   help="fewest studies with a direction for a specification to count (default: %(default)s)")
    p.add_argument("--csv", action="store_true", help="write the summary as CSV to standard output")
    p = commands.add_parser("compare", help="compare two inclusion sets")
    data_option(p)
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")

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
    p.add_argument("--url", default=None, metavar="URL",
                   help="where the site is published (default: html.baseurl of _config.yml); cited in CITATION.cff")
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


def _data(args: argparse.Namespace) -> Path:
    """The data folder asked for; a missing one says where it was looked for."""
    folder = Path(args.data)
    if not folder.is_dir():
        where = f" (looked for {folder.resolve()})" if not folder.is_absolute() else ""
        raise UsageError(f"{args.data}: no such data folder{where}; run from the repository root or pass --data DIR")
    return folder


def _validate(args: argparse.Namespace) -> int:
    from ketrev.files import data_files, read_data_file
    from ketrev.inclusion import check_inclusion_sets, list_inclusion_sets

    folder = _data(args)
    files, problems = data_files(folder)
    for path in files.values():  # everything a build copies is read here too
        try:
            read_data_file(path, folder, str(path))
        except DataError as exc:
            problems += exc.problems
    try:
        ev = load_evidence(folder)
    except DataError as exc:
        raise DataError(problems + exc.problems) from None
    problems += check_inclusion_sets(ev)
    if problems:
        raise DataError(problems)
    print(f"{args.data}: valid ({len(ev.studies)} studies, {len(ev.findings)} findings, "
          f"{len(ev.screening)} screening records, {len(ev.searches)} searches; "
          f"inclusion sets {', '.join(list_inclusion_sets(args.data))})")
    return 0


def _tabulate(args: argparse.Namespace) -> int:
    ev = select(load_evidence(_data(args)), load_inclusion(args.data, args.inclusion))
    table = TABLES[args.by](ev, args.rule)
    if args.csv:
        table.to_csv(sys.stdout, index=False, lineterminator="\n")
        return 0
    print(f"Inclusion set '{ev.inclusion}': {len(ev.studies)} studies, {len(ev.findings)} findings\n")
    if table.empty:
        print("Nothing to tabulate: no study of this selection has a finding.")
        return 0
    _print(table[[c for c in table.columns if c in _SHOWN]] if "direction" in args.by else table)
    if "direction" in args.by:
        from ketrev.analysis import FAMILY_SIZE

        print(f"\nRule: {RULES[args.rule]} Proportion increase = increase / (increase + decrease), Wilson 95% CI; "
              "sign test two-sided. p_holm: Holm-adjusted across the "
              f"{FAMILY_SIZE} molecules the review names (analysis confirmatory); every other row is exploratory "
              "(unadjusted p, never called significant). Vote counting counts directions, not effect sizes.")
    return 0


def _robustness(args: argparse.Namespace) -> int:
    from ketrev.robustness import multiverse
    from ketrev.summary import outcome_summary

    if args.min_studies < 1:
        raise UsageError("--min-studies must be at least 1")
    ev = select(load_evidence(_data(args)), load_inclusion(args.data, args.inclusion))
    start = time.perf_counter()
    runs = multiverse(ev, by=args.by, min_studies=args.min_studies)
    summary = outcome_summary(ev, by=args.by, runs=runs)
    seconds = time.perf_counter() - start
    columns = [args.by, "analysis", "n_voted", "proportion_increase", "p", "n_evaluable", "share_majority_holds",
               "share_significant", "loo_share_majority_holds", "state_words", "certainty_words"]
    if args.csv:
        summary.to_csv(sys.stdout, index=False, lineterminator="\n")
        return 0
    if summary.empty:
        print(f"Inclusion set '{ev.inclusion}': no study of this selection has a finding; nothing to rank.")
        return 0
    print(f"Inclusion set '{ev.inclusion}': {runs.attrs['n_specifications']:,} specifications × {len(summary)} "
          f"{args.by}s in {seconds:.2f} s; a specification needs at least {args.min_studies} studies with a "
          "direction to count\n")
    _print(summary[columns])
    print("\nShares are over evaluable specifications; the direction is that of the default analysis (every choice "
          "'all', majority rule); share_significant counts Holm-adjusted sign tests < 0.05 for the molecules the "
          "review names only. The words follow the rules of the book's methods page.")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from ketrev.compare import compare_sets

    ev = load_evidence(_data(args))
    a, b = (select(ev, load_inclusion(args.data, name)) for name in (args.a, args.b))
    only_a, only_b, changed = compare_sets(a, b)
    print(f"'{args.a}': {len(a.studies)} studies; '{args.b}': {len(b.studies)} studies\n")
    print(f"Only in '{args.a}' ({len(only_a)}): {', '.join(only_a) or '—'}")
    print(f"Only in '{args.b}' ({len(only_b)}): {', '.join(only_b) or '—'}\n")
    if changed.empty:
        print("No outcome differs in its counts or its state of evidence.")
    else:
        flips = changed[changed["changed"] == "state"]
        print(f"{len(flips)} outcomes change their state of evidence; {len(changed)} differ in all "
              f"(suffix _a = '{args.a}', _b = '{args.b}'):\n")
        _print(changed[["outcome", "n_studies_a", "n_studies_b", "state_words_a", "state_words_b", "changed", "studies"]])
    return 0


def _checkout() -> Layout:
    root = Path.cwd()
    if not ((root / "_config.yml").exists() and (root / "notebooks").is_dir()):
        raise UsageError(f"{root}: not a ketrev checkout (no _config.yml and notebooks/); run from the repository root")
    return Layout(root)


def _build(args: argparse.Namespace) -> int:
    from ketrev.build.pipeline import build_book
    from ketrev.build.site import DEV, publish_version

    _data(args)

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
    from ketrev.build.pipeline import build_book
    from ketrev.build.site import publish_version, releasing

    layout = _checkout()
    _data(args)
    with releasing(layout.site, args.version, force=args.force) as target:
        build_book(layout.root, data_dir=Path(args.data), version=args.version, jobs=args.jobs, targets=[target],
                   executor="isolated" if args.isolated else None, site_url=args.url)
    publish_version(layout.site)
    print(f"Released {args.version}: {target / 'index.html'}; 'ketrev serve' shows it")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from ketrev.build.site import serve

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
    except OSError as exc:  # a file the user's machine refused: one line with its cause, no traceback
        print(f"ketrev: {os_reason(exc)}", file=sys.stderr)
        return 1


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
