"""Developer sessions: ``nox -s tests``, ``nox -s lint``, ``nox -s bench``."""

import nox

nox.options.sessions = ["lint", "tests"]


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (unit, property-based, CLI, doctests, data validation)."""
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Check the code with ruff."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", ".")


@nox.session
def book(session: nox.Session) -> None:
    """Build the book on the default inclusion set (or the sets given after --)."""
    session.install("-e", ".")
    session.run("ketrev", "build", *(["--inclusion", *session.posargs] if session.posargs else []))


@nox.session
def bench(session: nox.Session) -> None:
    """Measure the library at 1x and 100x size, and the book build against Jupyter Book's execution."""
    session.install("-e", ".")
    session.run("python", "benchmarks/bench_core.py")
    session.run("python", "benchmarks/bench_robustness.py")
    session.run("python", "benchmarks/bench_book.py")
