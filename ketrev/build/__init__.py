"""The machinery that turns the library into a published book: snapshot, execute, assemble,
Jupyter Book, publish, serve. The library (``ketrev``) never imports this package."""
