"""moto's own server, unpatched, on 127.0.0.1 and a port the system picks:
what `python -m moto.server` serves, but it prints `vigil-moto ready
moto=PORT` once it listens, so tests running side by side never race for a
port picked beforehand.

usage: moto_server.py
"""

import os

from moto.server import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

app = DomainDispatcherApplication(create_backend_app)
app.debug = True
server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
os.environ["MOTO_PORT"] = str(server.server_port)  # moto builds some URLs from it (SQS queue URLs)
print(f"vigil-moto ready moto={server.server_port}", flush=True)
server.serve_forever()
