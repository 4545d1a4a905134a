"""Start and stop a real Distribution registry (Debian's `docker-registry`) for tests.

The registry listens on 127.0.0.1 on a free port, stores blobs in a temporary directory,
and is always stopped when the fixture ends. Import the fixtures into a test module:

    from registry_server import auth_registry_server, registry_server  # noqa: F401

(`tests/` must be on sys.path; see tests/integration/test_registry.py.)
"""

from __future__ import annotations

import base64
import contextlib
import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

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


def _write_config(workdir: Path, port: int, htpasswd: Path | None) -> Path:
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
    ]
    if htpasswd is not None:
        lines += ["auth:", "  htpasswd:", "    realm: hullscan-test", f"    path: {htpasswd}"]
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


@contextlib.contextmanager
def running_registry(workdir: Path, *, with_auth: bool = False) -> Iterator[RegistryServer]:
    """Run docker-registry on 127.0.0.1:<free port> until the block exits."""
    ensure_tools("docker-registry", "skopeo", *(("htpasswd",) if with_auth else ()))
    workdir.mkdir(parents=True, exist_ok=True)
    username, password = (TEST_USER, TEST_PASSWORD) if with_auth else (None, None)
    htpasswd = _write_htpasswd(workdir, TEST_USER, TEST_PASSWORD) if with_auth else None
    port = free_port()
    config = _write_config(workdir, port, htpasswd)
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
    with running_registry(tmp_path_factory.mktemp("registry-auth"), with_auth=True) as server:
        yield server
