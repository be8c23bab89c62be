"""WSGI entry point: `gunicorn livingmap.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "livingmap.settings")
application = get_wsgi_application()
