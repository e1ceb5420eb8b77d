#!/usr/bin/env python3
"""Render deploy/nginx/qauym.conf.template into an nginx site file.

    python3 deploy/nginx/render.py --server-name qauym.example.kz \\
        --upstream 10.0.0.11:8000 --upstream 10.0.0.12:8000 \\
        --tls-certificate /etc/letsencrypt/live/qauym.example.kz/fullchain.pem \\
        --tls-certificate-key /etc/letsencrypt/live/qauym.example.kz/privkey.pem \\
        --root /srv/qauym --max-upload-mb 10 > /etc/nginx/sites-available/qauym

Standard library only; also used by the two-server test (tests/test_multiserver.py).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

TEMPLATE = Path(__file__).with_name("qauym.conf.template")


def render(
    *,
    server_name: str,
    upstreams: list[str],
    tls_certificate: str,
    tls_certificate_key: str,
    root: str,
    max_upload_mb: int = 10,
    http_port: int = 80,
    https_port: int = 443,
    listen_address: str = "",
) -> str:
    """The site file. ``listen_address`` (e.g. ``127.0.0.1``) binds that IPv4 address only,
    instead of every IPv4 and IPv6 address."""
    if not upstreams:
        raise ValueError("at least one --upstream host:port")
    values = {
        "SERVER_NAME": server_name,
        "UPSTREAM_SERVERS": "\n".join(
            f"    server {u} max_fails=1 fail_timeout=10s;" for u in upstreams
        ),
        "TLS_CERTIFICATE": tls_certificate,
        "TLS_CERTIFICATE_KEY": tls_certificate_key,
        "QAUYM_ROOT": str(root).rstrip("/"),
        "CLIENT_MAX_BODY_MB": str(int(max_upload_mb) + 1),
        "HTTP_PORT": str(http_port),
        "HTTPS_PORT": str(https_port),
    }
    text = TEMPLATE.read_text()
    out = re.sub(r"@@([A-Z_]+)@@", lambda m: values[m.group(1)], text)
    if listen_address:
        out = re.sub(r"\n *listen \[::\]:[^\n]*", "", out)
        out = re.sub(r"listen (\d+)", rf"listen {listen_address}:\1", out)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--server-name", required=True)
    p.add_argument("--upstream", action="append", required=True, help="host:port, repeatable")
    p.add_argument("--tls-certificate", required=True)
    p.add_argument("--tls-certificate-key", required=True)
    p.add_argument("--root", default="/srv/qauym", help="the Qauym checkout")
    p.add_argument("--max-upload-mb", type=int, default=10, help="QAUYM_MAX_UPLOAD_MB")
    p.add_argument("--http-port", type=int, default=80)
    p.add_argument("--https-port", type=int, default=443)
    p.add_argument("--listen-address", default="", help="one IPv4 address (default: all)")
    a = p.parse_args(argv)
    sys.stdout.write(
        render(
            server_name=a.server_name,
            upstreams=a.upstream,
            tls_certificate=a.tls_certificate,
            tls_certificate_key=a.tls_certificate_key,
            root=a.root,
            max_upload_mb=a.max_upload_mb,
            http_port=a.http_port,
            https_port=a.https_port,
            listen_address=a.listen_address,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
