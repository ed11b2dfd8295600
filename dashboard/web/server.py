"""The built-in web server of `python app.py` (Werkzeug's), saying nothing about itself: its
default `Server: Werkzeug/3.x Python/3.x` tells a scanner which versions to try. (Under gunicorn
the header is "gunicorn", without a version.)"""
from __future__ import annotations

from werkzeug.serving import WSGIRequestHandler

SERVER_NAME = "IOC"


class QuietRequestHandler(WSGIRequestHandler):
    def version_string(self) -> str:
        return SERVER_NAME
