"""``python -m opslens`` is the ``opslens`` command."""

from opslens.cli.main import app

app()
