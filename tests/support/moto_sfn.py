"""moto server with Step Functions executions on, and Lambda invocations
routed to `cargo lambda watch`.

moto 5.2.5 only runs state machines when `execute_state_machine` is set,
and its engine invokes Lambda through boto3 at http://localhost:$MOTO_PORT.
This launcher sets the flag, points MOTO_PORT at a small loopback proxy
that sends Lambda Invoke to cargo lambda watch (translating its 500 for a
handler error into AWS's 200 + X-Amz-Function-Error) and everything else to
moto, then starts moto's own server. Everything binds to 127.0.0.1.

usage: moto_sfn.py PORT PROXY_PORT LAMBDA_URL LAMBDA_FUNCTION
"""

import http.server
import os
import re
import sys
import threading
import urllib.error
import urllib.request

from moto.core import config

port, proxy_port, lambda_url, lambda_function = sys.argv[1:5]
config.default_user_config["stepfunctions"]["execute_state_machine"] = True
config.default_user_config["lambda"]["use_docker"] = False
os.environ["MOTO_PORT"] = proxy_port

INVOKE = re.compile(r"^/2015-03-31/functions/[^/]+/invocations")


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _forward(self):
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        if INVOKE.match(self.path):
            target = f"{lambda_url}/2015-03-31/functions/{lambda_function}/invocations"
            headers = {"content-type": "application/json"}
        else:
            target = f"http://127.0.0.1:{port}{self.path}"
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        req = urllib.request.Request(target, data=body if body else None, method=self.command, headers=headers)
        extra = {}
        try:
            with urllib.request.urlopen(req, timeout=900) as resp:
                status, payload, resp_headers = resp.status, resp.read(), dict(resp.headers)
        except urllib.error.HTTPError as e:
            status, payload, resp_headers = e.code, e.read(), dict(e.headers)
            if INVOKE.match(self.path) and status == 500:
                status, extra = 200, {"X-Amz-Function-Error": "Unhandled"}
        self.send_response(status)
        for k, v in resp_headers.items():
            if k.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                self.send_header(k, v)
        for k, v in extra.items():
            self.send_header(k, v)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _forward


server = http.server.ThreadingHTTPServer(("127.0.0.1", int(proxy_port)), Proxy)
threading.Thread(target=server.serve_forever, daemon=True).start()

from moto.server import main  # noqa: E402  (after the config change)

main(["-H", "127.0.0.1", "-p", port])
