"""Start and stop a real Distribution registry (Debian's `docker-registry`) for tests.

The registry listens on 127.0.0.1 on a free port, stores blobs in a temporary directory,
and is always stopped when the fixture ends. Import the fixtures into a test module:

    from registry_server import auth_registry_server, registry_server  # noqa: F401

(`tests/` must be on sys.path; see tests/integration/test_registry.py.)
"""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self

import pytest

REGISTRY_BINARY = "/usr/bin/docker-registry"
LOOPBACK = "127.0.0.1"
TEST_USER = "hullscan"
TEST_PASSWORD = secrets.token_urlsafe(12)
START_TIMEOUT_SECONDS = 20.0

_TOOL_PACKAGES = {
    "docker-registry": "docker-registry",
    "skopeo": "skopeo",
    "umoci": "umoci",
    "htpasswd": "apache2-utils",
}


def ensure_tools(*tools: str) -> None:
    """Install the Debian packages providing `tools` if any is missing (tests run as root)."""
    missing = sorted({_TOOL_PACKAGES[t] for t in tools if shutil.which(t) is None})
    if not missing:
        return
    install = ["apt-get", "install", "-y", "--no-install-recommends", *missing]
    if subprocess.run(install, check=False, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update"], check=True, capture_output=True)
        subprocess.run(install, check=True, capture_output=True)


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True, slots=True)
class RegistryServer:
    """A running registry: where it listens and the credentials it wants (if any)."""

    port: int
    root: Path
    username: str | None = None
    password: str | None = None

    @property
    def address(self) -> str:
        """Return `127.0.0.1:PORT`."""
        return f"{LOOPBACK}:{self.port}"

    def reference(self, repo_and_tag: str) -> str:
        """Return `registry://127.0.0.1:PORT/REPO:TAG` for hullscan."""
        return f"registry://{self.address}/{repo_and_tag}"

    def skopeo_creds(self) -> list[str]:
        """Return skopeo's `--creds` arguments for this registry (none when anonymous)."""
        return ["--creds", f"{self.username}:{self.password}"] if self.username else []

    def push(self, source: str, repo_and_tag: str, *extra: str) -> None:
        """`skopeo copy SOURCE docker://ADDRESS/REPO:TAG` (e.g. SOURCE = `oci:DIR:TAG`)."""
        dest_creds = ["--dest-creds", f"{self.username}:{self.password}"] if self.username else []
        _run(
            [
                "skopeo",
                "copy",
                "--quiet",
                "--dest-tls-verify=false",
                *dest_creds,
                *extra,
                source,
                f"docker://{self.address}/{repo_and_tag}",
            ]
        )

    def put_manifest(self, repository: str, reference: str, data: bytes, media_type: str) -> None:
        """PUT a manifest or index document directly (for shapes skopeo cannot copy)."""
        request = urllib.request.Request(
            f"http://{self.address}/v2/{repository}/manifests/{reference}",
            data=data,
            method="PUT",
            headers={"Content-Type": media_type},
        )
        if self.username:
            token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(request, timeout=30) as response:
            if response.status != 201:
                raise RuntimeError(f"PUT manifest {repository}:{reference}: HTTP {response.status}")

    def inspect(self, repo_and_tag: str, *extra: str) -> bytes:
        """Return `skopeo inspect` output (use `--raw`, `--config`, `--override-arch` ...)."""
        return _run(
            [
                "skopeo",
                "inspect",
                "--tls-verify=false",
                *self.skopeo_creds(),
                *extra,
                f"docker://{self.address}/{repo_and_tag}",
            ]
        )


def _run(args: list[str]) -> bytes:
    """Run a tool; on failure raise with its stderr so the test report says why."""
    done = subprocess.run(args, check=False, capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {done.stderr.decode(errors='replace')}")
    return done.stdout


def _write_config(workdir: Path, port: int, auth_lines: list[str]) -> Path:
    lines = [
        "version: 0.1",
        "log:",
        "  level: warn",
        "  accesslog:",
        "    disabled: true",
        "storage:",
        "  filesystem:",
        f"    rootdirectory: {workdir / 'storage'}",
        "  delete:",
        "    enabled: true",
        "http:",
        f"  addr: {LOOPBACK}:{port}",
        f"  secret: {secrets.token_hex(16)}",
        *auth_lines,
    ]
    config = workdir / "config.yml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def _write_htpasswd(workdir: Path, username: str, password: str) -> Path:
    entry = subprocess.run(
        ["htpasswd", "-Bbn", username, password], check=True, capture_output=True, text=True
    ).stdout.strip()
    path = workdir / "htpasswd"
    path.write_text(entry + "\n", encoding="utf-8")
    return path


def _wait_until_ready(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    url = f"http://{LOOPBACK}:{port}/v2/"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"docker-registry exited early:\n{log.read_text(errors='replace')}")
        try:
            with opener.open(url, timeout=1):
                return
        except urllib.error.HTTPError as exc:
            if exc.code == 401:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"docker-registry did not start:\n{log.read_text(errors='replace')}")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class TokenService:
    """A Docker token service on 127.0.0.1: checks Basic credentials, issues RS256 JWTs.

    The registry trusts the service's self-signed certificate (its `rootcertbundle`), so
    the real registry verifies every token; signing uses the `openssl` command line.
    """

    issuer = "hullscan-test-issuer"
    service = "hullscan-test-registry"

    def __init__(self, workdir: Path, username: str, password: str) -> None:
        self.key = workdir / "token.key"
        self.cert = workdir / "token.crt"
        _run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=hullscan test token issuer",
                "-keyout",
                str(self.key),
                "-out",
                str(self.cert),
            ]
        )
        der = _run(["openssl", "x509", "-in", str(self.cert), "-outform", "DER"])
        self._x5c = base64.standard_b64encode(der).decode("ascii")
        self._basic = "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()
        self._username = username
        self.requests: list[tuple[str, str | None]] = []
        self.port = free_port()
        self._server = ThreadingHTTPServer((LOOPBACK, self.port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def realm(self) -> str:
        """Return the token endpoint the registry sends clients to."""
        return f"http://{LOOPBACK}:{self.port}/token"

    def config_lines(self) -> list[str]:
        """Return the registry's `auth.token` configuration."""
        return [
            "auth:",
            "  token:",
            f"    realm: {self.realm}",
            f"    service: {self.service}",
            f"    issuer: {self.issuer}",
            f"    rootcertbundle: {self.cert}",
        ]

    def issue(self, scopes: list[str]) -> str:
        """Return a signed JWT granting `scopes` (`repository:NAME:ACTIONS`)."""
        access = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            name, _, actions = rest.rpartition(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": self._username,
            "aud": self.service,
            "exp": now + 600,
            "nbf": now - 60,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        header = {"typ": "JWT", "alg": "RS256", "x5c": [self._x5c]}
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = subprocess.run(
            ["openssl", "dgst", "-sha256", "-sign", str(self.key)],
            input=signing_input.encode(),
            check=True,
            capture_output=True,
        ).stdout
        return f"{signing_input}.{_b64url(signature)}"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                authorization = self.headers.get("Authorization")
                service.requests.append((self.path, authorization))
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                if authorization != service._basic:
                    self._reply(401, {"details": "invalid username or password"})
                    return
                token = service.issue(query.get("scope", []))
                self._reply(200, {"token": token, "access_token": token, "expires_in": 600})

            def _reply(self, status: int, payload: dict[str, object]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - BaseHTTPRequestHandler's name
                pass

        return Handler

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@contextlib.contextmanager
def running_registry(workdir: Path, *, auth: str = "none") -> Iterator[RegistryServer]:
    """Run docker-registry on 127.0.0.1:<free port> until the block exits.

    `auth` is `none` (anonymous), `htpasswd` (HTTP Basic, bcrypt) or `token` (Bearer tokens
    from a `TokenService`, the Docker Hub scheme).
    """
    ensure_tools("docker-registry", "skopeo", *(("htpasswd",) if auth == "htpasswd" else ()))
    workdir.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        if auth == "none":
            username, password, auth_lines = None, None, []
        elif auth == "htpasswd":
            username, password = TEST_USER, TEST_PASSWORD
            htpasswd = _write_htpasswd(workdir, TEST_USER, TEST_PASSWORD)
            auth_lines = [
                "auth:",
                "  htpasswd:",
                "    realm: hullscan-test",
                f"    path: {htpasswd}",
            ]
        elif auth == "token":
            username, password = TEST_USER, TEST_PASSWORD
            tokens = stack.enter_context(TokenService(workdir, TEST_USER, TEST_PASSWORD))
            auth_lines = tokens.config_lines()
        else:
            raise ValueError(f"unknown auth mode {auth!r}")
        port = free_port()
        config = _write_config(workdir, port, auth_lines)
        yield stack.enter_context(_registry_process(workdir, port, config, username, password))


@contextlib.contextmanager
def _registry_process(
    workdir: Path, port: int, config: Path, username: str | None, password: str | None
) -> Iterator[RegistryServer]:
    log = workdir / "registry.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [REGISTRY_BINARY, "serve", str(config)], stdout=log_file, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_ready(process, port, log)
        yield RegistryServer(port, workdir / "storage", username, password)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def registry_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """A registry that allows anonymous pushes and pulls."""
    with running_registry(tmp_path_factory.mktemp("registry-anon")) as server:
        yield server


@pytest.fixture(scope="session")
def auth_registry_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """A registry that wants HTTP Basic credentials (htpasswd, bcrypt) for everything."""
    with running_registry(tmp_path_factory.mktemp("registry-auth"), auth="htpasswd") as server:
        yield server


@pytest.fixture(scope="session")
def token_registry_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryServer]:
    """A registry that wants Bearer tokens from a token service (Basic credentials for it)."""
    with running_registry(tmp_path_factory.mktemp("registry-token"), auth="token") as server:
        yield server
