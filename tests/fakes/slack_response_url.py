"""A real local HTTP server standing in for Slack's response_url (hooks.slack.com/actions/...).

Slack ignores the HTTP body of an interactivity answer; what the clicker sees is what the app
POSTs to response_url. This server records those POSTs and answers 200 "ok" like Slack does.
"""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeResponseUrl:
    def __init__(self) -> None:
        self.posts: list[dict] = []
        self.delay_seconds = 0.0  # how long Slack takes to answer (set it to play a slow Slack)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                time.sleep(fake.delay_seconds)
                fake.posts.append(
                    {
                        "path": self.path,
                        "content_type": self.headers.get("content-type"),
                        "body": json.loads(raw or b"null"),
                    }
                )
                try:
                    self.send_response(200)
                    self.send_header("content-type", "text/plain")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a test of a slow Slack)

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)  # an ephemeral port
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> "FakeResponseUrl":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
