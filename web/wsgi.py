"""WSGI entry point for production servers: `gunicorn -w 1 --threads 64 web.wsgi:app`.

Configuration comes from the environment (see the README); every process relays live events
from Redis to its own Socket.IO clients.
"""

from web import create_app

app = create_app()
