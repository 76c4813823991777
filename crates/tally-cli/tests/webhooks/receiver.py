"""A webhook receiver for Tally's end-to-end tests, on loopback.

Every delivery is verified with the stock `standardwebhooks` library, once per secret the
test told it (so a rotation's two signatures are each checked), and logged with what it was
answered. The test steers it through `POST /control`:

  {"secrets": ["whsec_…", …]}       the secrets to verify with
  {"mode": "ok"}                     answer 204 (the default)
  {"mode": "fail", "status": 500, "retry_after": 60}   answer `status` (and Retry-After)
  {"mode": "gone"}                   answer 410
  {"mode": "hang"}                   never answer until told another mode
  {"only_accounts": ["a"]}           the mode applies to these accounts' events only (the
                                     others are answered 204); null: to every event

`GET /received` is the log: every request as received, in order. Prints
`receiver listening on http://127.0.0.1:PORT` once it listens; with `--tls CERT KEY` it also
serves https with that certificate (PEM files) on a second port, printed after the first
(`… http://127.0.0.1:PORT https://127.0.0.1:PORT2`); control and the log stay on the first.
"""

import json
import ssl
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError

lock = threading.Condition()
state = {"mode": "ok", "status": 500, "retry_after": None, "secrets": [], "only_accounts": None}
received = []


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length)

    def do_GET(self):
        if self.path != "/received":
            return self.answer(404)
        with lock:
            body = json.dumps({"received": received}).encode()
        self.answer(200, body, [("Content-Type", "application/json")])

    def do_POST(self):
        body = self.read_body()
        if self.path == "/control":
            change = json.loads(body or b"{}")
            with lock:
                state.update(change)
                lock.notify_all()
            return self.answer(204)
        headers = {name.lower(): value for name, value in self.headers.items()}
        try:
            account_id = json.loads(body).get("account_id")
        except ValueError:
            account_id = None
        with lock:
            secrets = list(state["secrets"])
            mode = state["mode"]
            only = state["only_accounts"]
            if only is not None and account_id not in only:
                mode = "ok"
        verified = []
        for secret in secrets:
            try:
                Webhook(secret).verify(body, headers)
                verified.append(True)
            except WebhookVerificationError:
                verified.append(False)
        entry = {
            "path": self.path,
            "id": headers.get("webhook-id"),
            "timestamp": headers.get("webhook-timestamp"),
            "signature": headers.get("webhook-signature"),
            "content_type": headers.get("content-type"),
            "body": body.decode(),
            "verified": verified,
            "mode": mode,
            "account_id": account_id,
        }
        with lock:
            received.append(entry)
            index = len(received) - 1
        if mode == "hang":
            with lock:
                while state["mode"] == "hang" and (only is None or account_id in only):
                    lock.wait()
                mode = state["mode"]
                if mode == "ok":
                    mode = "fail"  # a hung request is never a success
            with lock:
                received[index]["mode"] = "hang"
        if mode == "ok":
            status, extra = 204, []
        elif mode == "gone":
            status, extra = 410, []
        else:
            status = int(state["status"])
            extra = []
            if state.get("retry_after") is not None:
                extra.append(("Retry-After", str(state["retry_after"])))
        with lock:
            received[index]["answered"] = status
        try:
            self.answer(status, b"", extra)
        except (BrokenPipeError, ConnectionResetError):
            pass


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    line = f"receiver listening on http://127.0.0.1:{server.server_address[1]}"
    if len(sys.argv) == 4 and sys.argv[1] == "--tls":
        secure = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        secure.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(sys.argv[2], sys.argv[3])
        secure.socket = context.wrap_socket(secure.socket, server_side=True)
        threading.Thread(target=secure.serve_forever, daemon=True).start()
        line += f" https://127.0.0.1:{secure.server_address[1]}"
    print(line, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
