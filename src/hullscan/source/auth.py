"""Registry credentials and the Distribution API authentication dance.

Credentials come from `RegistryOptions` or from a Docker `config.json`; a registry's
`WWW-Authenticate` challenge is answered with HTTP Basic or a Bearer token fetched from
the token service it names. The HTTP transport is passed in, so this module does no I/O
beyond reading the Docker config file.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hullscan.config import RegistryOptions
from hullscan.errors import AuthenticationError

LOG = logging.getLogger(__name__)

DOCKER_HUB_HOST = "docker.io"
DOCKER_HUB_ALIASES = frozenset(
    {"docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"}
)
MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024

_TOKEN_PARAM = re.compile(r"""\s*([A-Za-z0-9_.-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,"]*)\s*(?:,|$)""")
_SCHEME = re.compile(r"\s*([A-Za-z][A-Za-z0-9_-]*)(?:\s+|$)")

GetJson = Callable[[str, Mapping[str, str]], Any]
"""Transport used for token requests: (url, headers) -> decoded JSON body."""


@dataclass(frozen=True, slots=True)
class Credentials:
    """A username and password (or identity token) for one registry."""

    username: str
    password: str = field(repr=False)

    def basic_header(self) -> str:
        """Return the value of an `Authorization: Basic …` header."""
        raw = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode("ascii")


@dataclass(frozen=True, slots=True)
class Challenge:
    """One parsed `WWW-Authenticate` challenge, e.g. Bearer with realm/service/scope."""

    scheme: str
    """Lower-cased auth scheme: `bearer` or `basic`."""
    params: tuple[tuple[str, str], ...] = ()

    def param(self, name: str) -> str | None:
        """Return a parameter's value (names are case-insensitive), or None."""
        wanted = name.lower()
        return next((value for key, value in self.params if key == wanted), None)


def parse_www_authenticate(header: str) -> list[Challenge]:
    """Parse a `WWW-Authenticate` header into its challenges (RFC 7235 auth-params).

    >>> parse_www_authenticate('Bearer realm="https://a/token",scope="repository:x:pull,push"')
    [Challenge(scheme='bearer', params=(('realm', 'https://a/token'), ('scope', 'repository:x:pull,push')))]
    """
    challenges: list[Challenge] = []
    pos = 0
    while pos < len(header):
        scheme_match = _SCHEME.match(header, pos)
        if scheme_match is None:
            break
        pos = scheme_match.end()
        params: list[tuple[str, str]] = []
        while pos < len(header):
            param_match = _TOKEN_PARAM.match(header, pos)
            if param_match is None:
                break
            params.append((param_match.group(1).lower(), _unquote(param_match.group(2))))
            pos = param_match.end()
        challenges.append(Challenge(scheme_match.group(1).lower(), tuple(params)))
        while pos < len(header) and header[pos] in ", ":
            pos += 1
    return challenges


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value


def preferred_challenge(challenges: list[Challenge]) -> Challenge | None:
    """Pick the challenge to answer: Bearer over Basic, unknown schemes ignored."""
    for scheme in ("bearer", "basic"):
        for challenge in challenges:
            if challenge.scheme == scheme:
                return challenge
    return None


def answer_challenge(
    challenge: Challenge,
    credentials: Credentials | None,
    default_scope: str,
    get_json: GetJson,
) -> str:
    """Return the `Authorization` header value that answers a challenge.

    Raises AuthenticationError when the challenge cannot be answered.
    """
    if challenge.scheme == "basic":
        if credentials is None:
            raise AuthenticationError(
                "the registry requires a username and password (HTTP Basic) and none were given"
            )
        return credentials.basic_header()
    if challenge.scheme == "bearer":
        return "Bearer " + fetch_bearer_token(challenge, credentials, default_scope, get_json)
    raise AuthenticationError(f"unsupported authentication scheme {challenge.scheme!r}")


def fetch_bearer_token(
    challenge: Challenge,
    credentials: Credentials | None,
    default_scope: str,
    get_json: GetJson,
) -> str:
    """Ask the token service named by a Bearer challenge for a token (Docker token spec)."""
    realm = challenge.param("realm")
    if not realm:
        raise AuthenticationError("the registry's Bearer challenge names no token service realm")
    parsed = urllib.parse.urlsplit(realm)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise AuthenticationError(f"the registry's token realm {realm!r} is not an HTTP(S) URL")
    query: list[tuple[str, str]] = []
    service = challenge.param("service")
    if service:
        query.append(("service", service))
    query.extend(("scope", scope) for scope in (challenge.param("scope") or default_scope).split())
    separator = "&" if parsed.query else "?"
    url = realm + (separator + urllib.parse.urlencode(query) if query else "")
    headers = {"Authorization": credentials.basic_header()} if credentials else {}
    body = get_json(url, headers)
    token: object = None
    if isinstance(body, dict):
        token = body.get("token") or body.get("access_token")
    if not isinstance(token, str) or not token:
        raise AuthenticationError(f"the token service at {parsed.netloc} returned no token")
    return token


def normalize_registry_host(text: str) -> str:
    """Reduce a `config.json` auths key or a registry host to `host[:port]`, lower-case."""
    value = text.strip()
    if "://" in value:
        value = urllib.parse.urlsplit(value).netloc or value
    value = value.split("/", 1)[0].lower()
    return DOCKER_HUB_HOST if value in DOCKER_HUB_ALIASES else value


def docker_config_path(options: RegistryOptions) -> Path:
    """Return the Docker config file to read: the option, $DOCKER_CONFIG, or ~/.docker."""
    if options.docker_config is not None:
        return options.docker_config
    env_dir = os.environ.get("DOCKER_CONFIG")
    base = Path(env_dir) if env_dir else Path.home() / ".docker"
    return base / "config.json"


def credentials_from_docker_config(path: Path, host: str) -> Credentials | None:
    """Return the credentials stored for `host` in a Docker config file, if any.

    Only inline `auths` entries are supported; credential helpers are reported and skipped.
    """
    config = _read_docker_config(path)
    if config is None:
        return None
    wanted = normalize_registry_host(host)
    helpers = config.get("credHelpers")
    if isinstance(helpers, dict) and any(
        normalize_registry_host(str(key)) == wanted for key in helpers
    ):
        LOG.warning("%s: credHelpers for %s are not supported; ignoring them", path, wanted)
    auths = config.get("auths")
    if isinstance(auths, dict):
        for key, entry in auths.items():
            if normalize_registry_host(str(key)) == wanted and isinstance(entry, dict):
                found = _credentials_from_entry(entry, path, wanted)
                if found is not None:
                    return found
    if config.get("credsStore"):
        LOG.warning(
            "%s: credsStore %r is not supported; pass --username/--password instead",
            path,
            config.get("credsStore"),
        )
    return None


def _read_docker_config(path: Path) -> dict[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        LOG.warning("%s: cannot read Docker config: %s", path, exc)
        return None
    try:
        config = json.loads(text)
    except ValueError as exc:
        LOG.warning("%s: not valid JSON, ignoring it: %s", path, exc)
        return None
    return config if isinstance(config, dict) else None


def _credentials_from_entry(entry: dict[str, Any], path: Path, host: str) -> Credentials | None:
    token = entry.get("identitytoken")
    auth = entry.get("auth")
    if isinstance(auth, str) and auth:
        try:
            decoded = base64.b64decode(auth, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            LOG.warning("%s: auths.%s.auth is not base64 of USER:PASSWORD; ignoring it", path, host)
            return None
        username, sep, password = decoded.partition(":")
        if not sep:
            LOG.warning("%s: auths.%s.auth has no ':' separator; ignoring it", path, host)
            return None
        if isinstance(token, str) and token:
            LOG.warning("%s: identity tokens (auths.%s) are not supported", path, host)
        return Credentials(username, password)
    plain_user, plain_password = entry.get("username"), entry.get("password")
    if isinstance(plain_user, str) and isinstance(plain_password, str):
        return Credentials(plain_user, plain_password)
    return None


def resolve_credentials(options: RegistryOptions, host: str) -> Credentials | None:
    """Return explicit credentials from the options, else those in the Docker config."""
    if options.username is not None or options.password is not None:
        if not options.username or options.password is None:
            raise AuthenticationError(
                "both a username and a password are needed",
                hint="Pass --username together with --password (or neither).",
            )
        return Credentials(options.username, options.password)
    return credentials_from_docker_config(docker_config_path(options), host)
