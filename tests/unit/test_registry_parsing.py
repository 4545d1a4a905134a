"""Registry reference parsing, WWW-Authenticate parsing, Docker config credentials (no network).

Expected values come from the Distribution reference grammar and Docker's normalization rules
(docker.io default, `library/` for official images, `latest` default tag), the Docker token
authentication spec and RFC 7235 examples.
"""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path

import pytest

from hullscan.config import RegistryOptions
from hullscan.errors import AuthenticationError, SourceError
from hullscan.model.image import Platform
from hullscan.source.auth import (
    Credentials,
    credentials_from_docker_config,
    parse_www_authenticate,
    preferred_challenge,
    resolve_credentials,
)
from hullscan.source.registry import (
    RegistryReference,
    host_is_loopback,
    parse_registry_reference,
    platform_matches,
)

DIGEST = "sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ubuntu", RegistryReference("docker.io", "library/ubuntu", "latest")),
        ("ubuntu:22.04", RegistryReference("docker.io", "library/ubuntu", "22.04")),
        ("registry://bitnami/redis:7", RegistryReference("docker.io", "bitnami/redis", "7")),
        ("docker.io/library/alpine", RegistryReference("docker.io", "library/alpine", "latest")),
        ("index.docker.io/nginx", RegistryReference("docker.io", "library/nginx", "latest")),
        ("localhost/app", RegistryReference("localhost", "app", "latest")),
        ("localhost:5000/app:v1", RegistryReference("localhost:5000", "app", "v1")),
        (
            "registry://127.0.0.1:5000/team/sub/app:1.2.3-rc_1",
            RegistryReference("127.0.0.1:5000", "team/sub/app", "1.2.3-rc_1"),
        ),
        ("ghcr.io/o/r@" + DIGEST, RegistryReference("ghcr.io", "o/r", None, DIGEST)),
        ("ghcr.io/o/r:tag@" + DIGEST, RegistryReference("ghcr.io", "o/r", "tag", DIGEST)),
        ("[::1]:5000/app", RegistryReference("[::1]:5000", "app", "latest")),
        ("registry:ghcr.io/o/r:1", RegistryReference("ghcr.io", "o/r", "1")),
        ("registry:5000/app", RegistryReference("registry:5000", "app", "latest")),  # a host
        ("Quay.IO/a_b/c-d.e__f", RegistryReference("quay.io", "a_b/c-d.e__f", "latest")),
    ],
)
def test_parse_reference(text: str, expected: RegistryReference) -> None:
    assert parse_registry_reference(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "registry://",
        "example.com/Upper/case",  # repository names are lower-case
        "example.com/a//b",
        "example.com/-a",
        "example.com/app:" + "x" * 129,  # tags are at most 128 characters
        "example.com/app:.dot-first",
        "example.com/app@sha256:short",
        "example.com/app@md5:" + "0" * 32,
        "example.com/app:tag with space",
        "exa_mple.com:5000/app",
    ],
)
def test_parse_reference_rejects(text: str) -> None:
    with pytest.raises(SourceError):
        parse_registry_reference(text)


def test_reference_round_trip_and_api_host() -> None:
    ref = parse_registry_reference("alpine@" + DIGEST)
    assert str(ref) == f"registry://docker.io/library/alpine@{DIGEST}"
    assert ref.api_host == "registry-1.docker.io"
    assert ref.manifest_reference == DIGEST
    assert parse_registry_reference(str(ref)) == ref


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1:5000", True),
        ("127.200.0.9", True),
        ("localhost", True),
        ("LOCALHOST:443", True),
        ("[::1]:5000", True),
        ("10.0.0.1:5000", False),
        ("localhost.example.com", False),
        ("registry-1.docker.io", False),
        ("[2001:db8::1]:5000", False),
    ],
)
def test_loopback_detection(host: str, loopback: bool) -> None:
    assert host_is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("candidate", "wanted", "matches"),
    [
        (Platform("linux", "amd64"), Platform("linux", "amd64"), True),
        (Platform("linux", "arm64"), Platform("linux", "arm64", "v8"), True),  # v8 is implied
        (Platform("linux", "arm64", "v8"), Platform("linux", "arm64"), True),
        (Platform("linux", "arm", "v6"), Platform("linux", "arm", "v7"), False),
        (Platform("windows", "amd64"), Platform("linux", "amd64"), False),
        (Platform("unknown", "unknown"), Platform("linux", "amd64"), False),  # attestations
    ],
)
def test_platform_matching(candidate: Platform, wanted: Platform, matches: bool) -> None:
    assert platform_matches(candidate, wanted) is matches


# --------------------------------------------------------------------------- WWW-Authenticate


def test_docker_token_spec_challenge() -> None:
    header = (
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:samalba/my-app:pull,push"'
    )
    (challenge,) = parse_www_authenticate(header)
    assert challenge.scheme == "bearer"
    assert challenge.param("realm") == "https://auth.docker.io/token"
    assert challenge.param("service") == "registry.docker.io"
    assert challenge.param("scope") == "repository:samalba/my-app:pull,push"


def test_rfc7235_multiple_challenges_with_escapes() -> None:
    header = 'Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"'
    challenges = parse_www_authenticate(header)
    assert [c.scheme for c in challenges] == ["newauth", "basic"]
    assert challenges[0].param("TITLE") == 'Login to "apps"'
    assert challenges[0].param("type") == "1"
    assert challenges[1].param("realm") == "simple"
    preferred = preferred_challenge(challenges)
    assert preferred is not None
    assert preferred.scheme == "basic"


@pytest.mark.parametrize("header", ["", "   ", ",,,", "Negotiate", "Bearer"])
def test_odd_headers_do_not_crash(header: str) -> None:
    challenges = parse_www_authenticate(header)
    assert all(not c.params for c in challenges)
    assert preferred_challenge([c for c in challenges if c.scheme == "negotiate"]) is None


# --------------------------------------------------------------------------- Docker config


def _write_config(path: Path, config: dict[str, object]) -> Path:
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("key", "host"),
    [
        ("https://index.docker.io/v1/", "docker.io"),
        ("registry-1.docker.io", "docker.io"),
        ("127.0.0.1:5000", "127.0.0.1:5000"),
        ("http://127.0.0.1:5000", "127.0.0.1:5000"),
        ("https://GHCR.io/", "ghcr.io"),
    ],
)
def test_docker_config_auths_keys(tmp_path: Path, key: str, host: str) -> None:
    config = _write_config(tmp_path / "c.json", {"auths": {key: {"auth": _b64("me:pa:ss")}}})
    assert credentials_from_docker_config(config, host) == Credentials("me", "pa:ss")
    assert credentials_from_docker_config(config, "other.example.com") is None


def test_docker_config_bad_entries_warn(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = _write_config(
        tmp_path / "c.json",
        {
            "auths": {"a.example": {"auth": "%%%"}, "b.example": {"auth": _b64("nocolon")}},
            "credsStore": "osxkeychain",
        },
    )
    with caplog.at_level(logging.WARNING, logger="hullscan.source.auth"):
        assert credentials_from_docker_config(config, "a.example") is None
        assert credentials_from_docker_config(config, "b.example") is None
    assert "not base64" in caplog.text
    assert "no ':'" in caplog.text
    assert "credsStore" in caplog.text


@pytest.mark.parametrize("content", ["{not json", "[]", ""])
def test_unreadable_docker_config_is_ignored(tmp_path: Path, content: str) -> None:
    path = tmp_path / "c.json"
    path.write_text(content, encoding="utf-8")
    assert credentials_from_docker_config(path, "a.example") is None


def test_options_win_over_docker_config(tmp_path: Path) -> None:
    config = _write_config(tmp_path / "c.json", {"auths": {"a.example": {"auth": _b64("x:y")}}})
    explicit = RegistryOptions(username="u", password="p", docker_config=config)  # noqa: S106 - a test credential
    assert resolve_credentials(explicit, "a.example") == Credentials("u", "p")
    from_file = RegistryOptions(docker_config=config)
    assert resolve_credentials(from_file, "a.example") == Credentials("x", "y")
    with pytest.raises(AuthenticationError):
        resolve_credentials(RegistryOptions(username="u"), "a.example")


def test_docker_config_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write_config(tmp_path / "config.json", {"auths": {"a.example": {"auth": _b64("e:v")}}})
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path))
    assert resolve_credentials(RegistryOptions(), "a.example") == Credentials("e", "v")


def test_password_is_not_in_repr() -> None:
    assert "hunter2" not in repr(Credentials("u", "hunter2"))
