"""Error types: one base per seam, each able to tell the user what to do next."""

from __future__ import annotations


class HullscanError(Exception):
    """Base of every error hullscan raises on purpose.

    `diagnostics()` is what the CLI prints: what went wrong, then what to try.
    """

    hint: str = "Run again with --verbose for the full traceback."

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint

    def diagnostics(self) -> str:
        """Return a one-paragraph explanation and a next step for the user."""
        cause = ""
        if self.__cause__ is not None and type(self.__cause__).__name__ != "_RemoteTraceback":
            first_line = str(self.__cause__).strip().splitlines()[:1]
            cause = f" (caused by: {first_line[0]})" if first_line else ""
        return f"{self.message}{cause}\nhint: {self.hint}"


class SourceError(HullscanError):
    """An image could not be found, opened or understood."""

    hint = "Check the image reference: oci:DIR[:TAG], docker-archive:FILE, dir:ROOTFS or registry://HOST/REPO:TAG."


class ManifestError(SourceError):
    """A manifest, index or config blob is missing or malformed."""

    hint = "The image is incomplete or corrupt; re-export it (skopeo copy) and try again."


class DigestMismatchError(SourceError):
    """A blob's content does not hash to the digest that names it."""

    hint = "The blob was altered or truncated in transit or on disk; fetch the image again."


class LayerError(SourceError):
    """A layer blob cannot be decompressed or is not a valid tar stream."""

    hint = "The layer is corrupt or truncated; re-export the image. Use --verbose for details."


class LimitExceededError(LayerError):
    """A layer or file is larger than the configured safety caps (decompression bomb guard)."""

    hint = "If the image is legitimate, raise the cap with --max-layer-bytes / --max-file-bytes."


class PlatformError(SourceError):
    """No manifest in an index matches the requested platform."""

    hint = "Pass --platform OS/ARCH[/VARIANT] with one of the platforms listed above."


class RegistryError(SourceError):
    """A registry refused a request, or the connection failed."""

    hint = (
        "Check the registry address, your credentials (--username/--password or "
        "~/.docker/config.json) and the network."
    )


class AuthenticationError(RegistryError):
    """The registry asked for credentials that we do not have or that it rejected."""

    hint = "Log in (docker login, or --username/--password), or check the repository name."


class CacheError(HullscanError):
    """The cache directory cannot be used."""

    hint = "Check permissions of the cache directory, or point --cache-dir somewhere writable."


class CatalogError(HullscanError):
    """A cataloger failed in a way that is not tied to one file."""


class SbomError(HullscanError):
    """An SBOM document could not be read or written."""

    hint = "Check that the file is CycloneDX (JSON/XML) or SPDX (JSON/tag-value)."


class DatabaseError(HullscanError):
    """The advisory database is missing, corrupt or cannot be updated."""

    hint = "Run `hullscan db update` (or `hullscan db import PATH`) to rebuild it."
