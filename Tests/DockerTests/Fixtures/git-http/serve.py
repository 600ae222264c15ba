#!/usr/bin/env python3
"""A real `git http-backend` over HTTP/1.1 on 127.0.0.1, for GitHTTPRefsTests and the benchmark.

Usage: serve.py PROJECT_ROOT [--v0] [--auth USER:PASSWORD] [--log FILE]

Prints the port on the first line of stdout, then serves until killed. Every request under
/ runs git http-backend as a CGI (gitprotocol-http(5)) with GIT_PROJECT_ROOT=PROJECT_ROOT and
GIT_HTTP_EXPORT_ALL; the `Git-Protocol` header reaches it as HTTP_GIT_PROTOCOL (what
http-backend reads), unless --v0 drops it (the server then answers protocol v0).
--auth answers 401 to requests without that Basic credential. Keep-alive: answers carry a
Content-Length, so a client reuses its connection. --log appends a line per request:
`METHOD PATH CLIENT_PORT GIT_PROTOCOL_HEADER` (the client port tells a reused connection).

Paths of misbehaving servers (for timeouts and limits):
  /_silent/...   headers never come (the request is read, nothing is answered)
  /_trickle/...  200 with a smart content type, then one valid ref packet a second, forever
  /_forever/...  200 with a smart content type, then valid ref packets as fast as possible, forever
  /_redirect/P   302 to /P (the same server)
  /_dumb/...     a dumb HTTP server: info/refs as text/plain (`<id> TAB refs/heads/main`), HEAD
"""
import base64
import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time

# A test runner may start us with signals blocked (the mask is inherited): SIGTERM must work.
signal.pthread_sigmask(signal.SIG_UNBLOCK, signal.valid_signals())
signal.signal(signal.SIGTERM, signal.SIG_DFL)
ROOT = sys.argv[1]
V0 = "--v0" in sys.argv
AUTH = None
if "--auth" in sys.argv:
    AUTH = "Basic " + base64.b64encode(sys.argv[sys.argv.index("--auth") + 1].encode()).decode()

SMART = "application/x-git-upload-pack-advertisement"
REF = b"45acf4c7ba6a660f44a72c1668cc81f833c1e15b refs/heads/endless\n"
PACKET = b"%04x" % (len(REF) + 4) + REF
LOG = sys.argv[sys.argv.index("--log") + 1] if "--log" in sys.argv else None
LOCK = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        # Headers and body leave at once: no Nagle wait on the client's delayed ACK.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self):
        self.serve()

    def do_POST(self):
        self.serve()

    def stream_forever(self, delay):
        self.send_response(200)
        self.send_header("Content-Type", SMART)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        first = b"001e# service=git-upload-pack\n0000" + PACKET
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(first), first))
            chunk = PACKET * (1 if delay else 1000)
            while True:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
                if delay:
                    time.sleep(delay)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def serve(self):
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if LOG is not None:
            with LOCK, open(LOG, "a") as log:
                log.write("%s %s %d %s\n" % (self.command, path, self.client_address[1], self.headers.get("Git-Protocol") or "-"))
        if path.startswith("/_dumb/"):
            if path.endswith("/info/refs"):
                content = b"45acf4c7ba6a660f44a72c1668cc81f833c1e15b\trefs/heads/main\n"
            elif path.endswith("/HEAD"):
                content = b"ref: refs/heads/main\n"
            else:
                content = None
            self.send_response(200 if content is not None else 404)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(content or b"")))
            self.end_headers()
            self.wfile.write(content or b"")
            return
        if path.startswith("/_silent/"):
            threading.Event().wait()
        if path.startswith("/_trickle/"):
            return self.stream_forever(1.0)
        if path.startswith("/_forever/"):
            return self.stream_forever(0)
        if path.startswith("/_redirect/"):
            self.send_response(302)
            self.send_header("Location", path[len("/_redirect"):] + ("?" + query if query else ""))
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if AUTH is not None and self.headers.get("Authorization") != AUTH:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "GIT_PROJECT_ROOT": ROOT,
            "GIT_HTTP_EXPORT_ALL": "1",
            "GIT_CONFIG_NOSYSTEM": "1",
            "HOME": ROOT,
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type") or "",
            "CONTENT_LENGTH": str(len(body)),
            "REMOTE_ADDR": self.client_address[0],
            "SERVER_PROTOCOL": "HTTP/1.1",
            "GATEWAY_INTERFACE": "CGI/1.1",
        }
        if AUTH is not None:
            env["REMOTE_USER"] = "user"
        protocol = self.headers.get("Git-Protocol")
        if protocol and not V0:
            env["HTTP_GIT_PROTOCOL"] = protocol
        out = subprocess.run(["git", "http-backend"], input=body, env=env, capture_output=True).stdout
        head, _, content = out.partition(b"\r\n\r\n")
        if not _:
            head, _, content = out.partition(b"\n\n")
        status = 200
        headers = []
        for line in head.decode("latin-1").splitlines():
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.strip().split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
server.daemon_threads = True
print(server.server_address[1], flush=True)
server.serve_forever()
