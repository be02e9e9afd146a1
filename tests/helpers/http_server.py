"""A real HTTP server on 127.0.0.1 serving a folder, counting requests: weight URLs in tests
are served by it (no internet at test time)."""
from __future__ import annotations

import http.server
import threading
from functools import partial
from typing import List


class LocalServer:
    def __init__(self, directory) -> None:
        self.requests: List[str] = []
        outer = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                outer.requests.append(self.path)
                super().do_GET()

        self.httpd = http.server.ThreadingHTTPServer(
            ('127.0.0.1', 0), partial(Handler, directory=str(directory)))
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f'http://127.0.0.1:{self.httpd.server_address[1]}'

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()
