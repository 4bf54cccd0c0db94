"""A real local HTTP server standing in for Slack's response_url (hooks.slack.com/actions/...).

Slack ignores the HTTP body of an interactivity answer; what the clicker sees is what the app
POSTs to response_url. This server records those POSTs and answers 200 "ok" like Slack does.
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOLD_LIMIT_SECONDS = 30  # a held POST is answered after this even if never released


class FakeResponseUrl:
    def __init__(self) -> None:
        self.posts: list[dict] = []
        self.released = threading.Event()  # cleared by hold(): Slack answers no POST until release()
        self.released.set()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                raw = self.rfile.read(int(self.headers.get("content-length") or 0))
                fake.released.wait(HOLD_LIMIT_SECONDS)
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

    def hold(self) -> None:
        """Play a Slack that does not answer: POSTs wait (unrecorded) until release()."""
        self.released.clear()

    def release(self) -> None:
        self.released.set()

    def start(self) -> "FakeResponseUrl":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()
