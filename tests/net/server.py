#!/usr/bin/python3
"""server.py - a misbehaving HTTP server for the fetcher's tests, on 127.0.0.1 only.

Usage: /usr/bin/python3 server.py ROOT PORTFILE
Serves the files of ROOT (read only, never written) and writes the port it listens on to
PORTFILE. Routes (NAME is a file in ROOT; query strings are ignored unless named):
  /img/NAME                 the file, Content-Type from its extension
  /as-html/NAME             the file served as text/html (the bytes decide, not the header)
  /html-as-jpeg             an HTML page served as image/jpeg
  /empty                    200, image/jpeg, no bytes
  /status/CODE              that status, a small HTML body
  /status-long/CODE/N       that status with an HTML body of N bytes (a long error page)
  /status-cut/CODE          that status, Content-Length 1000, 24 bytes of HTML, then close
  /flaky/CODE/N/KEY/NAME    CODE (with Retry-After: 1 for 429/503) for the first N requests
                            of KEY, then the file
  /retry-after/SECS         429 with Retry-After: SECS, always
  /redirect/N/NAME          N redirects (302) then the file
  /loop                     redirects to itself
  /redirect-long/NAME       302 to /img/NAME with a body of 2,000,000 bytes of its own
  /to?u=URL                 302 to URL (private addresses, other schemes)
  /drip                     Content-Length 100000, then one byte a second
  /endless                  a JPEG header and then zeros without end (no Content-Length)
  /cl-long/NAME             Content-Length 1000 more than the file, the file, then close
  /cl-short/NAME            Content-Length half the file, then the whole file, then close
  /gzip/NAME                the file gzip-encoded (Content-Encoding: gzip)
  /gzip-bomb                64 MiB of zeros after a JPEG header, gzip-encoded (~64 KiB sent)
  /huge-cl                  Content-Length 10^12, nothing sent
  /reset                    the connection is reset (RST) before any response
  /ua/NAME                  the file if the User-Agent starts with datavet/, else 403
"""
import gzip
import http.server
import os
import socket
import struct
import sys
import threading
import time
import urllib.parse

ROOT = sys.argv[1]
PORTFILE = sys.argv[2]
COUNTS = {}
LOCK = threading.Lock()
TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png",
         ".webp": "image/webp", ".gif": "image/gif"}
CACHE = {}


def read(name):
    name = os.path.basename(name)
    with LOCK:
        if name in CACHE:
            return CACHE[name]
    with open(os.path.join(ROOT, name), "rb") as f:
        data = f.read()
    with LOCK:
        CACHE[name] = data
    return data


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out at once, no delayed-ACK stalls

    def log_message(self, fmt, *args):
        pass

    def send(self, code, body, ctype="image/jpeg", extra=(), length=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for k, v in extra:
            self.send_header(k, v)
        self._headers_buffer.append(b"\r\n")
        self._headers_buffer.append(body)
        self.flush_headers()

    def file(self, name, ctype=None):
        try:
            data = read(name)
        except OSError:
            return self.send(404, b"<html>no such file</html>", "text/html")
        ext = os.path.splitext(name)[1].lower()
        self.send(200, data, ctype or TYPES.get(ext, "application/octet-stream"))

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        p = [x for x in url.path.split("/") if x]
        q = urllib.parse.parse_qs(url.query)
        if not p:
            return self.send(404, b"", "text/html")
        r = p[0]
        if r == "img" and len(p) == 2:
            return self.file(p[1])
        if r == "as-html" and len(p) == 2:
            return self.file(p[1], "text/html")
        if r == "html-as-jpeg":
            return self.send(200, b"<!doctype html><html><body>not an image</body></html>\n")
        if r == "empty":
            return self.send(200, b"")
        if r == "status" and len(p) == 2:
            return self.send(int(p[1]), b"<html>status page</html>", "text/html")
        if r == "status-long" and len(p) == 3:
            return self.send(int(p[1]), b"x" * int(p[2]), "text/html")
        if r == "status-cut" and len(p) == 2:
            self.send_response(int(p[1]))
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "1000")
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(b"<html>status page</html>")
            self.close_connection = True
            return
        if r == "redirect-long" and len(p) == 2:
            return self.send(302, b"x" * 2000000, "text/html", [("Location", "/img/" + p[1])])
        if r == "flaky" and len(p) == 5:
            code, n, key = int(p[1]), int(p[2]), p[3]
            with LOCK:
                COUNTS[key] = COUNTS.get(key, 0) + 1
                seen = COUNTS[key]
            if seen <= n:
                extra = [("Retry-After", "1")] if code in (429, 503) else []
                return self.send(code, b"<html>busy</html>", "text/html", extra)
            return self.file(p[4])
        if r == "retry-after" and len(p) == 2:
            return self.send(429, b"slow down", "text/plain", [("Retry-After", p[1])])
        if r == "redirect" and len(p) == 3:
            n = int(p[1])
            if n <= 0:
                return self.file(p[2])
            return self.send(302, b"", "text/html", [("Location", "/redirect/%d/%s" % (n - 1, p[2]))])
        if r == "loop":
            return self.send(302, b"", "text/html", [("Location", "/loop")])
        if r == "to":
            return self.send(302, b"", "text/html", [("Location", q.get("u", ["/"])[0])])
        if r == "drip":
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                self.wfile.write(b"\xff\xd8")
                for _ in range(100):
                    self.wfile.flush()
                    time.sleep(1)
                    self.wfile.write(b"\0")
            except OSError:
                pass
            self.close_connection = True
            return
        if r == "endless":
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Connection", "close")
            self.end_headers()
            chunk = b"\0" * 65536
            try:
                self.wfile.write(b"\xff\xd8\xff\xe0")
                for _ in range(100000):
                    self.wfile.write(chunk)
            except OSError:
                pass
            self.close_connection = True
            return
        if r in ("cl-long", "cl-short") and len(p) == 2:
            data = read(p[1])
            n = len(data) + 1000 if r == "cl-long" else len(data) // 2
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(n))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
            self.close_connection = True
            return
        if r == "gzip" and len(p) == 2:
            body = gzip.compress(read(p[1]))
            return self.send(200, body, "image/jpeg", [("Content-Encoding", "gzip")])
        if r == "gzip-bomb":
            body = gzip.compress(b"\xff\xd8\xff\xe0" + b"\0" * (64 << 20), 9)
            return self.send(200, body, "image/jpeg", [("Content-Encoding", "gzip")])
        if r == "huge-cl":
            self.send_response(200)
            self.send_header("Content-Type", "image/jpeg")
            self.send_header("Content-Length", str(10 ** 12))
            self.end_headers()
            self.close_connection = True
            return
        if r == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if r == "wire" and len(p) >= 2:
            # /wire/ANYTHING/FILE: FILE if the request line's path is printable ASCII (a
            # client that percent-encodes what a browser does), 400 otherwise
            if any(c <= " " or c >= "\x7f" for c in self.path):
                return self.send(400, b"raw bytes in the path", "text/plain")
            return self.file(urllib.parse.unquote(p[-1]))
        if r == "hold" and len(p) == 2 and "f" in q:
            # /hold/FILE?f=PATH: says it was asked (PATH.seen), then answers FILE once PATH
            # exists (30 s at most): a test decides when a transfer ends
            flag = q["f"][0]
            open(flag + ".seen", "a").close()
            for _ in range(600):
                if os.path.exists(flag):
                    break
                time.sleep(0.05)
            return self.file(p[1])
        if r == "ua" and len(p) == 2:
            if self.headers.get("User-Agent", "").startswith("datavet/"):
                return self.file(p[1])
            return self.send(403, b"no", "text/plain")
        return self.send(404, b"<html>unknown route</html>", "text/html")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256


def main():
    srv = Server(("127.0.0.1", 0), Handler)
    tmp = PORTFILE + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(tmp, PORTFILE)
    srv.serve_forever()


if __name__ == "__main__":
    main()
