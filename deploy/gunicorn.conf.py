"""gunicorn settings for the IOC web workers. Run:  gunicorn --config deploy/gunicorn.conf.py wsgi:app

Every value can be overridden on the command line or with GUNICORN_CMD_ARGS."""
import os

bind = os.environ.get("IOC_BIND", "127.0.0.1:8050")
workers = int(os.environ.get("IOC_WEB_WORKERS", "4"))
worker_class = "gthread"  # threads: a wall's callbacks must not queue behind a slow page
threads = int(os.environ.get("IOC_WEB_THREADS", "4"))
timeout = 60
graceful_timeout = 20
# Load the app once in the master (migrations and the catalog are applied once), then fork.
preload_app = True
# gunicorn 27 would create a control socket in ~/.gunicorn: not wanted on a server.
control_socket_disable = True
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = os.environ.get("IOC_FORWARDED_ALLOW_IPS", "127.0.0.1")
limit_request_line = 8190


def post_fork(server, worker):
    # Connections opened by the master before the fork must not be shared by the workers.
    import wsgi

    wsgi.app.extensions["ioc"].db.engine.dispose(close=False)
