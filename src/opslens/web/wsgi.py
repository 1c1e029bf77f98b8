"""WSGI entry point (``opslens serve`` runs it under Waitress)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opslens.web.settings")
application = get_wsgi_application()
