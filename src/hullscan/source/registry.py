"""Read images straight from an OCI / Docker registry over the Distribution API v2.

Only the standard library is used. HTTPS is the default; plain HTTP is allowed for loopback
registries and when `RegistryOptions.insecure` is set. Manifests and the config are small and
verified in memory; layers are streamed by picklable `RegistryBlobOpener`s and verified by
the reader (`hullscan.source.blob.DigestVerifyingReader`).
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import io
import ipaddress
import json
import logging
import re
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from functools import partial
from typing import Any, BinaryIO

from hullscan import __version__
from hullscan.config import RegistryOptions
from hullscan.errors import (
    AuthenticationError,
    DigestMismatchError,
    LayerError,
    ManifestError,
    PlatformError,
    RegistryError,
    SourceError,
)
from hullscan.model.image import ImageDescription, LayerRef, Platform
from hullscan.source.auth import (
    DOCKER_HUB_HOST,
    Credentials,
    answer_challenge,
    normalize_registry_host,
    parse_www_authenticate,
    preferred_challenge,
    resolve_credentials,
)
from hullscan.source.interface import BlobOpener, ImageSource
from hullscan.source.manifest import (
    config_platform,
    descriptor_platform,
    layer_refs,
    parse_config,
    platform_matches,
)

LOG = logging.getLogger(__name__)

MIB = 1024 * 1024
MAX_MANIFEST_BYTES = 4 * MIB
MAX_CONFIG_BYTES = 4 * MIB
MAX_ERROR_BODY_BYTES = 64 * 1024
MAX_TOKEN_BYTES = 1 * MIB
MAX_INDEX_DEPTH = 4
MAX_REDIRECTS = 5
RETRY_DELAYS = (0.25, 1.0)
RETRIED_STATUSES = frozenset({502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
DOCKER_HUB_API_HOST = "registry-1.docker.io"
REFERENCE_PREFIXES = ("registry://", "docker://", "registry:")

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_SCHEMA1 = (
    "application/vnd.docker.distribution.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
)
IMAGE_MANIFEST_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_MANIFEST_LIST})
MANIFEST_ACCEPT = f"{OCI_INDEX}, {DOCKER_MANIFEST_LIST}, {OCI_MANIFEST}, {DOCKER_MANIFEST}"
CONFIG_TYPES = frozenset(
    {"application/vnd.oci.image.config.v1+json", "application/vnd.docker.container.image.v1+json"}
)
_DIGEST = re.compile(r"^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
_REPO_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$")
_HOST = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$"
)
_PORT_AFTER_REGISTRY = re.compile(r"^registry:[0-9]+/")
"""`registry:5000/app` names a host called `registry`, not the `registry:` prefix."""


class BlobTransferError(RegistryError, LayerError):
    """A blob download ended early or the connection broke while it was streaming."""

    hint = "The download was interrupted or truncated; check the network and try again."


# --------------------------------------------------------------------------- references


@dataclass(frozen=True, slots=True)
class RegistryReference:
    """`HOST[:PORT]/REPO[:TAG][@DIGEST]`, normalized (Docker Hub gets `library/`)."""

    host: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def api_host(self) -> str:
        """Return the host serving the API (Docker Hub's lives on registry-1.docker.io)."""
        return DOCKER_HUB_API_HOST if self.host == DOCKER_HUB_HOST else self.host

    @property
    def manifest_reference(self) -> str:
        """Return what goes after `/manifests/`: the digest if pinned, else the tag."""
        return self.digest or self.tag or "latest"

    @property
    def name(self) -> str:
        """Return `HOST/REPO`."""
        return f"{self.host}/{self.repository}"

    def __str__(self) -> str:
        text = "registry://" + self.name
        if self.tag:
            text += ":" + self.tag
        if self.digest:
            text += "@" + self.digest
        return text


def parse_registry_reference(text: str) -> RegistryReference:
    """Parse `registry://HOST[:PORT]/REPO[:TAG|@DIGEST]` (the prefix is optional).

    A missing tag means `latest`; a first component without `.`, `:` or `localhost`
    is a Docker Hub repository.

    >>> parse_registry_reference("registry://127.0.0.1:5000/team/app@sha256:" + "a" * 64).tag
    >>> str(parse_registry_reference("alpine"))
    'registry://docker.io/library/alpine:latest'
    """
    rest = text.strip()
    for prefix in REFERENCE_PREFIXES:
        if rest.startswith(prefix) and not _PORT_AFTER_REGISTRY.match(rest):
            rest = rest[len(prefix) :]
            break
    if not rest or any(ch.isspace() for ch in rest):
        raise SourceError(f"not a registry reference: {text!r}")
    rest, _, digest = rest.partition("@")
    host, path = _split_host(rest)
    head, _, last = path.rpartition("/")
    last, _, tag = last.partition(":")
    repository = f"{head}/{last}" if head else last
    if host == DOCKER_HUB_HOST and "/" not in repository:
        repository = "library/" + repository
    _validate_reference(text, host, repository, tag, digest)
    return RegistryReference(
        host=host,
        repository=repository,
        tag=tag or (None if digest else "latest"),
        digest=digest or None,
    )


def _split_host(rest: str) -> tuple[str, str]:
    first, sep, remainder = rest.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost" or first.startswith("[")):
        return normalize_registry_host(first), remainder
    return DOCKER_HUB_HOST, rest


def _validate_reference(text: str, host: str, repository: str, tag: str, digest: str) -> None:
    problem = None
    if not _HOST.match(host):
        problem = f"invalid registry host {host!r}"
    elif not repository or not all(_REPO_COMPONENT.match(c) for c in repository.split("/")):
        problem = f"invalid repository name {repository!r} (lower-case letters, digits, . _ - /)"
    elif tag and not _TAG.match(tag):
        problem = f"invalid tag {tag!r}"
    elif digest and not _DIGEST.match(digest):
        problem = f"invalid digest {digest!r} (expected sha256:<64 hex>)"
    if problem:
        raise SourceError(
            f"not a registry reference: {text!r}: {problem}",
            hint="Use registry://HOST[:PORT]/REPO[:TAG] or registry://HOST/REPO@sha256:DIGEST.",
        )


def host_is_loopback(host: str) -> bool:
    """Return True for `localhost`, 127.0.0.0/8 and ::1 (with or without a port)."""
    name = host
    if name.startswith("["):
        name = name[1:].partition("]")[0]
    elif name.count(":") == 1:
        name = name.partition(":")[0]
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


# --------------------------------------------------------------------------- transport


@dataclass(frozen=True, slots=True)
class Transport:
    """How to reach one registry: base URL, TLS checking, timeout. Picklable."""

    base_url: str
    """`https://HOST[:PORT]` or `http://HOST[:PORT]`."""
    verify_tls: bool = True
    allow_http: bool = False
    """Whether plain-HTTP URLs (redirects, token realms) may be followed."""
    timeout: float = 60.0

    def url(self, path: str) -> str:
        """Return the absolute URL of an API path such as `/v2/`."""
        return self.base_url + path


def _url_allowed(url: str, transport: Transport) -> bool:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https":
        return True
    return parts.scheme == "http" and (transport.allow_http or host_is_loopback(parts.netloc))


def _build_opener(url: str, transport: Transport) -> urllib.request.OpenerDirector:
    """An opener that follows no redirects and raises on no status (we handle both)."""
    context = ssl.create_default_context()
    if not transport.verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    netloc = urllib.parse.urlsplit(url).netloc
    # A proxy cannot reach this machine's loopback interface: never use one for it.
    proxies: dict[str, str] | None = {} if host_is_loopback(netloc) else None
    opener = urllib.request.OpenerDirector()
    for handler in (
        urllib.request.ProxyHandler(proxies),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(context=context),
    ):
        opener.add_handler(handler)
    return opener


def _open_once(url: str, headers: dict[str, str], transport: Transport) -> http.client.HTTPResponse:
    request = urllib.request.Request(url, headers=headers, method="GET")  # noqa: S310 - scheme checked
    netloc = urllib.parse.urlsplit(url).netloc
    try:
        response = _build_opener(url, transport).open(request, timeout=transport.timeout)
    except urllib.error.URLError as exc:
        raise _connection_error(netloc, exc.reason) from exc
    except (OSError, http.client.HTTPException) as exc:
        raise _connection_error(netloc, exc) from exc
    if not isinstance(response, http.client.HTTPResponse):  # pragma: no cover - defensive
        raise RegistryError(f"{netloc}: unexpected response object {type(response).__name__}")
    return response


class _ConnectionFailedError(RegistryError):
    """No HTTP response at all: refused, reset, TLS failure, timeout, DNS."""

    retryable = False
    """True when trying again may help (the peer reset or dropped the connection)."""


def _connection_error(netloc: str, reason: object) -> _ConnectionFailedError:
    if isinstance(reason, ssl.SSLCertVerificationError):
        return _ConnectionFailedError(
            f"{netloc}: TLS certificate not trusted: {reason.verify_message}",
            hint="Install the registry's CA certificate, or pass --insecure if you trust it.",
        )
    if isinstance(reason, TimeoutError):
        return _ConnectionFailedError(
            f"{netloc}: the registry did not answer in time",
            hint="Check the address and network, or raise the timeout.",
        )
    error = _ConnectionFailedError(
        f"{netloc}: connection failed: {reason!r}",
        hint="Check the registry address and port, and that it is reachable from here.",
    )
    error.retryable = isinstance(reason, ConnectionResetError)
    return error


def _open_with_retries(
    url: str, headers: dict[str, str], transport: Transport
) -> http.client.HTTPResponse:
    for delay in (*RETRY_DELAYS, None):
        try:
            response = _open_once(url, headers, transport)
        except _ConnectionFailedError as exc:
            if delay is None or not exc.retryable:
                raise
        else:
            if response.status not in RETRIED_STATUSES or delay is None:
                return response
            _discard(response)
        LOG.debug("retrying %s in %.2fs", url, delay)
        time.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def send(url: str, headers: dict[str, str], transport: Transport) -> http.client.HTTPResponse:
    """GET a URL, following redirects safely (no credentials to another host, no downgrade)."""
    current, current_headers = url, dict(headers)
    for _ in range(MAX_REDIRECTS + 1):
        if not _url_allowed(current, transport):
            raise RegistryError(
                f"refusing plain-HTTP request to {urllib.parse.urlsplit(current).netloc}",
                hint="Plain HTTP is only used for loopback registries or with --insecure.",
            )
        response = _open_with_retries(current, current_headers, transport)
        if response.status not in REDIRECT_STATUSES:
            return response
        location = response.headers.get("Location")
        _discard(response)
        if not location:
            raise RegistryError(f"{current}: redirect without a Location header")
        target = urllib.parse.urljoin(current, location)
        if urllib.parse.urlsplit(target)[:2] != urllib.parse.urlsplit(current)[:2]:
            current_headers.pop("Authorization", None)
        current = target
    raise RegistryError(f"{url}: more than {MAX_REDIRECTS} redirects")


def _discard(response: http.client.HTTPResponse) -> None:
    with contextlib.suppress(OSError, http.client.HTTPException):
        response.read(MAX_ERROR_BODY_BYTES)
    response.close()


def _base_headers(accept: str | None) -> dict[str, str]:
    headers = {"User-Agent": f"hullscan/{__version__}"}
    if accept:
        headers["Accept"] = accept
    return headers


# --------------------------------------------------------------------------- responses


def _error_codes(response: http.client.HTTPResponse) -> str:
    """Return the registry's error codes/messages from a JSON error body, if any."""
    try:
        body = json.loads(response.read(MAX_ERROR_BODY_BYTES) or b"{}")
    except (ValueError, OSError, http.client.HTTPException):
        return ""
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list):
        return ""
    parts = [
        f"{err.get('code', '?')}: {err.get('message', '')}".strip()
        for err in errors
        if isinstance(err, dict)
    ]
    return f" ({'; '.join(parts)})" if parts else ""


def check_status(response: http.client.HTTPResponse, what: str) -> None:
    """Raise the HullscanError that matches a non-2xx status, closing the response."""
    status = response.status
    if 200 <= status < 300:
        return
    detail = _error_codes(response)
    response.close()
    if status in (401, 403):
        raise AuthenticationError(f"{what}: access denied by the registry (HTTP {status}){detail}")
    if status == 404:
        raise ManifestError(
            f"{what}: not found (HTTP 404){detail}",
            hint="Check the repository name, the tag or digest, and the registry host.",
        )
    if status == 429:
        raise RegistryError(
            f"{what}: rate limited by the registry (HTTP 429){detail}",
            hint="Wait a while, or log in to get a higher pull limit.",
        )
    if status >= 500:
        raise RegistryError(
            f"{what}: the registry failed with HTTP {status}{detail}",
            hint="This is a server-side error; try again later or contact the registry operator.",
        )
    raise RegistryError(f"{what}: unexpected HTTP {status}{detail}")


class ResponseStream(io.RawIOBase):
    """A blob download that refuses to end early: short reads become BlobTransferError."""

    def __init__(self, response: http.client.HTTPResponse, expected: int | None, what: str) -> None:
        super().__init__()
        self._response = response
        self._what = what
        length = response.headers.get("Content-Length")
        self._expected = expected if expected is not None and expected >= 0 else None
        if self._expected is None and length and length.isdigit():
            self._expected = int(length)
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        try:
            data = self._response.read(len(buffer))
        except (OSError, http.client.HTTPException) as exc:
            msg = f"{self._what}: connection lost after {self.count} bytes: {exc!r}"
            raise BlobTransferError(msg) from exc
        n = len(data)
        self.count += n
        if n == 0 and self._expected is not None and self.count < self._expected:
            msg = f"{self._what}: download ended after {self.count} of {self._expected} bytes"
            raise BlobTransferError(msg)
        if self._expected is not None and self.count > self._expected:
            msg = f"{self._what}: more than the announced {self._expected} bytes"
            raise BlobTransferError(msg)
        buffer[:n] = data
        return n

    def close(self) -> None:
        self._response.close()
        super().close()


def read_capped(stream: BinaryIO | io.RawIOBase, cap: int, what: str) -> bytes:
    """Read a whole small document, refusing more than `cap` bytes."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(min(MIB, cap + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > cap:
            raise ManifestError(f"{what} is larger than {cap} bytes; refusing to read it")


def digest_of(data: bytes, algorithm: str = "sha256") -> str:
    """Return `ALGO:HEX` of some bytes."""
    return f"{algorithm}:{hashlib.new(algorithm, data).hexdigest()}"


def verify_digest(data: bytes, expected: str, what: str) -> None:
    """Raise DigestMismatchError unless `data` hashes to `expected`."""
    algorithm = expected.partition(":")[0]
    actual = digest_of(data, algorithm)
    if actual != expected:
        raise DigestMismatchError(f"{what}: content hashes to {actual}, expected {expected}")


# --------------------------------------------------------------------------- auth


@dataclass(frozen=True, slots=True)
class AuthContext:
    """What a request needs to authenticate: current header, credentials, token scope."""

    scope: str
    credentials: Credentials | None = None
    authorization: str | None = field(default=None, repr=False)


def _get_json(url: str, headers: Any, transport: Transport) -> Any:
    if not _url_allowed(url, transport):
        raise AuthenticationError(
            f"refusing to send credentials to the plain-HTTP token service {url}",
            hint="Use an HTTPS token realm, or pass --insecure if you trust the network.",
        )
    response = send(url, {**_base_headers("application/json"), **dict(headers)}, transport)
    netloc = urllib.parse.urlsplit(url).netloc
    if response.status in (401, 403):
        _discard(response)
        raise AuthenticationError(f"the token service at {netloc} rejected the credentials")
    check_status(response, f"token from {netloc}")
    with ResponseStream(response, None, "token response") as stream:
        body = read_capped(stream, MAX_TOKEN_BYTES, "token response")
    try:
        return json.loads(body)
    except ValueError as exc:
        raise AuthenticationError(f"the token service at {netloc} returned invalid JSON") from exc


def authorized_get(
    url: str, accept: str | None, transport: Transport, auth: AuthContext, what: str
) -> tuple[http.client.HTTPResponse, AuthContext]:
    """GET with the current credentials; answer one 401 challenge and retry once.

    Returns the (unchecked) response and the auth context to use from now on.
    """
    headers = _base_headers(accept)
    if auth.authorization:
        headers["Authorization"] = auth.authorization
    response = send(url, headers, transport)
    if response.status != 401:
        return response, auth
    challenge = preferred_challenge(
        parse_www_authenticate(response.headers.get("WWW-Authenticate", ""))
    )
    _discard(response)
    if challenge is None:
        raise AuthenticationError(
            f"{what}: the registry wants authentication but sent no usable challenge"
        )
    header = answer_challenge(
        challenge, auth.credentials, auth.scope, partial(_get_json, transport=transport)
    )
    headers["Authorization"] = header
    response = send(url, headers, transport)
    if response.status == 401:
        _discard(response)
        who = f"user {auth.credentials.username!r}" if auth.credentials else "anonymous access"
        raise AuthenticationError(f"{what}: the registry rejected {who} (HTTP 401)")
    return response, AuthContext(auth.scope, auth.credentials, header)


# --------------------------------------------------------------------------- blob opener


@dataclass(frozen=True, slots=True)
class RegistryBlobOpener(BlobOpener):
    """Opens one blob over HTTP. Picklable: workers re-authenticate on their own if needed."""

    url: str
    transport: Transport
    auth: AuthContext
    size: int | None = None
    what: str = "blob"

    def open(self) -> BinaryIO:
        """Return the HTTP body stream; it raises BlobTransferError if cut short."""
        response, _ = authorized_get(self.url, None, self.transport, self.auth, self.what)
        check_status(response, self.what)
        return ResponseStream(response, self.size, self.what)  # type: ignore[return-value]


# --------------------------------------------------------------------------- manifests


@dataclass(frozen=True, slots=True)
class _Manifest:
    digest: str
    media_type: str
    data: dict[str, Any]


def _media_type_of(data: dict[str, Any], content_type: str) -> str:
    declared = data.get("mediaType")
    if isinstance(declared, str) and declared:
        return declared
    header = content_type.split(";", maxsplit=1)[0].strip()
    if header in IMAGE_MANIFEST_TYPES | INDEX_TYPES:
        return header
    if "manifests" in data:
        return OCI_INDEX
    if "layers" in data and "config" in data:
        return OCI_MANIFEST
    if data.get("schemaVersion") == 1:
        return DOCKER_SCHEMA1[0]
    return header or "unknown"


def _descriptor_digest(descriptor: object, what: str) -> str:
    digest = descriptor.get("digest") if isinstance(descriptor, dict) else None
    if not isinstance(digest, str) or not _DIGEST.match(digest):
        raise ManifestError(f"{what}: descriptor has no valid digest: {digest!r}")
    return digest


def _layer_refs(manifest: _Manifest, diff_ids: tuple[str, ...], what: str) -> tuple[LayerRef, ...]:
    layers = manifest.data.get("layers")
    if isinstance(layers, list) and diff_ids and len(diff_ids) != len(layers):
        LOG.warning(
            "%s: %d layers but %d diff_ids in the config; diff_ids ignored", what, len(layers), len(diff_ids)
        )
    if isinstance(layers, list):
        for position, layer in enumerate(layers):
            _descriptor_digest(layer, f"{what} layer {position}")
    return layer_refs(manifest.data, diff_ids, what)


# --------------------------------------------------------------------------- source


class RegistrySource(ImageSource):
    """An image read from a registry over the Distribution API v2."""

    def __init__(
        self,
        reference: str | RegistryReference,
        options: RegistryOptions | None = None,
        *,
        platform: Platform | None = None,
    ) -> None:
        self.reference = (
            reference
            if isinstance(reference, RegistryReference)
            else parse_registry_reference(reference)
        )
        self.options = options or RegistryOptions()
        self.platform = platform or Platform.host()
        self._transport: Transport | None = None
        self._auth: AuthContext | None = None
        self._description: ImageDescription | None = None

    # ------------------------------------------------------------------ public API

    def describe(self) -> ImageDescription:
        """Resolve the reference to one image manifest and read its config."""
        if self._description is None:
            self._description = self._describe()
        return self._description

    def layer_opener(self, layer: LayerRef) -> BlobOpener:
        """Return a picklable opener that streams the layer blob from the registry."""
        if not _DIGEST.match(layer.digest):
            raise ManifestError(f"layer {layer.index}: invalid digest {layer.digest!r}")
        self.describe()
        return RegistryBlobOpener(
            url=self._api_url(f"/blobs/{layer.digest}"),
            transport=self._connected(),
            auth=self._auth_context(),
            size=layer.size if layer.size >= 0 else None,
            what=f"layer {layer.index} ({layer.digest[:19]}) from {self.reference.name}",
        )

    # ------------------------------------------------------------------ connection

    def _auth_context(self) -> AuthContext:
        if self._auth is None:
            self._auth = AuthContext(
                scope=f"repository:{self.reference.repository}:pull",
                credentials=resolve_credentials(self.options, self.reference.host),
            )
        return self._auth

    def _connected(self) -> Transport:
        """Ping `/v2/` over HTTPS (falling back to HTTP where allowed) and authenticate."""
        if self._transport is not None:
            return self._transport
        host = self.reference.api_host
        allow_http = self.options.insecure or host_is_loopback(host)
        base = Transport(
            base_url=f"https://{host}",
            verify_tls=not self.options.insecure,
            allow_http=allow_http,
            timeout=self.options.timeout_seconds,
        )
        try:
            self._ping(base)
        except _ConnectionFailedError as https_error:
            if not allow_http:
                raise
            plain = Transport(f"http://{host}", base.verify_tls, allow_http, base.timeout)
            LOG.info("%s: HTTPS failed (%s); trying plain HTTP", host, https_error.message)
            try:
                self._ping(plain)
            except _ConnectionFailedError as http_error:
                raise RegistryError(
                    f"{host}: neither HTTPS ({https_error.message}) nor plain HTTP "
                    f"({http_error.message}) worked",
                    hint=https_error.hint,
                ) from None  # both causes are in the message
            base = plain
        self._transport = base
        return base

    def _ping(self, transport: Transport) -> None:
        what = f"registry {self.reference.api_host}"
        response, self._auth = authorized_get(
            transport.url("/v2/"), None, transport, self._auth_context(), what
        )
        if response.status == 404:
            _discard(response)
            raise RegistryError(
                f"{what}: /v2/ not found; this is not a Distribution API v2 registry",
                hint="Check the host and port of the registry.",
            )
        check_status(response, what)
        _discard(response)

    def _api_url(self, suffix: str) -> str:
        return self._connected().url(f"/v2/{self.reference.repository}{suffix}")

    def _get(self, suffix: str, accept: str | None, what: str) -> http.client.HTTPResponse:
        url = self._api_url(suffix)
        response, self._auth = authorized_get(
            url, accept, self._connected(), self._auth_context(), what
        )
        check_status(response, what)
        return response

    # ------------------------------------------------------------------ documents

    def _fetch_manifest(self, reference: str, expected_digest: str | None) -> _Manifest:
        what = (
            f"manifest {self.reference.name}{'@' if _DIGEST.match(reference) else ':'}{reference}"
        )
        response = self._get(f"/manifests/{reference}", MANIFEST_ACCEPT, what)
        content_type = response.headers.get("Content-Type", "")
        header_digest = response.headers.get("Docker-Content-Digest")
        with ResponseStream(response, None, what) as stream:
            body = read_capped(stream, MAX_MANIFEST_BYTES, what)
        if expected_digest:
            verify_digest(body, expected_digest, what)
        elif header_digest and _DIGEST.match(header_digest):
            verify_digest(body, header_digest, what)
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise ManifestError(f"{what}: not valid JSON") from exc
        if not isinstance(data, dict):
            raise ManifestError(f"{what}: not a JSON object")
        digest = expected_digest or digest_of(body)
        return _Manifest(digest, _media_type_of(data, content_type), data)

    def _fetch_config(self, digest: str, what: str) -> dict[str, Any]:
        response = self._get(f"/blobs/{digest}", None, what)
        with ResponseStream(response, None, what) as stream:
            body = read_capped(stream, MAX_CONFIG_BYTES, what)
        verify_digest(body, digest, what)
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise ManifestError(f"{what}: not valid JSON") from exc
        if not isinstance(data, dict):
            raise ManifestError(f"{what}: not a JSON object")
        return data

    # ------------------------------------------------------------------ resolution

    def _resolve_image_manifest(self) -> _Manifest:
        top = self._fetch_manifest(self.reference.manifest_reference, self.reference.digest)
        available: list[str] = []
        chosen = self._resolve(top, 0, available)
        if chosen is None:
            listed = ", ".join(sorted(set(available))) or "none"
            raise PlatformError(
                f"{self.reference}: no image for platform {self.platform}; available: {listed}"
            )
        return chosen

    def _resolve(self, manifest: _Manifest, depth: int, available: list[str]) -> _Manifest | None:
        if manifest.media_type in IMAGE_MANIFEST_TYPES:
            return manifest
        if manifest.media_type in DOCKER_SCHEMA1:
            raise ManifestError(
                f"{self.reference}: Docker schema 1 manifests are not supported",
                hint="Re-push the image with a current client (schema 2 or OCI).",
            )
        if manifest.media_type not in INDEX_TYPES:
            raise ManifestError(
                f"{self.reference}: unsupported manifest type {manifest.media_type!r}"
            )
        if depth >= MAX_INDEX_DEPTH:
            raise ManifestError(
                f"{self.reference}: image indexes nested deeper than {MAX_INDEX_DEPTH}"
            )
        return self._select_from_index(manifest, depth, available)

    def _select_from_index(
        self, index: _Manifest, depth: int, available: list[str]
    ) -> _Manifest | None:
        entries = index.data.get("manifests")
        if not isinstance(entries, list):
            raise ManifestError(f"{self.reference}: index {index.digest[:19]} lists no manifests")
        nested: list[str] = []
        for entry in entries:
            digest = _descriptor_digest(entry, f"index {index.digest[:19]}")
            media_type = entry.get("mediaType")
            platform = descriptor_platform(entry)
            if platform is not None and media_type not in INDEX_TYPES:
                available.append(str(platform))
                if platform_matches(platform, self.platform):
                    return self._resolve(self._fetch_manifest(digest, digest), depth + 1, available)
            elif media_type in INDEX_TYPES or platform is None:
                nested.append(digest)
        for digest in nested:
            child = self._fetch_manifest(digest, digest)
            if child.media_type in IMAGE_MANIFEST_TYPES:
                continue  # a manifest without a platform (attestation, artifact): not ours
            found = self._resolve(child, depth + 1, available)
            if found is not None:
                return found
        return None

    def _describe(self) -> ImageDescription:
        manifest = self._resolve_image_manifest()
        what = f"{self.reference} ({manifest.digest[:19]})"
        config_descriptor = manifest.data.get("config")
        config_digest = _descriptor_digest(config_descriptor, f"{what} config")
        config_type = (
            config_descriptor.get("mediaType") if isinstance(config_descriptor, dict) else None
        )
        if config_type not in CONFIG_TYPES:
            raise ManifestError(
                f"{what}: config media type {config_type!r} is not a container image config",
                hint="This looks like an OCI artifact (chart, signature, SBOM), not an image.",
            )
        config_data = self._fetch_config(config_digest, f"config {config_digest[:19]} of {what}")
        config, platform = parse_config(config_data), config_platform(config_data)
        ref = self.reference
        return ImageDescription(
            reference=str(ref),
            source_kind="registry",
            manifest_digest=manifest.digest,
            config_digest=config_digest,
            platform=platform,
            config=config,
            layers=_layer_refs(manifest, config.diff_ids, what),
            repo_tags=(f"{ref.name}:{ref.tag}",) if ref.tag else (),
            media_type=manifest.media_type,
        )
