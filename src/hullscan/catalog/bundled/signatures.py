"""The table of native components hullscan recognises inside ELF files, kept as data.

Each row says how a component shows itself: library names (SONAME or file name, including
auditwheel's `libssl-<hash>.so.3`), symbols only its own code defines, version strings its own
code holds in read-only data, and version functions or constants whose value can be read
without running anything. Identification and version choice live in `identify.py`.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache


class SymbolKind(StrEnum):
    """How the value of a version symbol is stored in the object."""

    CSTRING = "cstring"
    """A `const char name[]` array: the text is at the symbol."""
    INT32 = "int32"
    """A `const int name` constant."""
    PTR_CSTRING = "ptr-cstring"
    """A `const char *name` pointer (resolved through a relative relocation if needed)."""
    RETURN_INT = "return-int"
    """A function `return CONSTANT;` (x86-64 `mov eax, imm32; ret`)."""
    RETURN_CSTRING = "return-cstring"
    """A function `return "text";` (x86-64 `lea rax, [rip+x]; ret`)."""


class Decoding(StrEnum):
    """How a version symbol's raw value becomes an upstream version string."""

    TEXT = "text"
    """The first dotted number in the text."""
    HEX_MMR = "hex-mmr"
    """`(major << 16) | (minor << 8) | patch` (libwebp, libuv)."""
    DEC_MMR = "dec-mmr"
    """`major * 10000 + minor * 100 + patch` (zstd, lz4, libxslt)."""
    LZMA = "lzma"
    """`major * 10000000 + minor * 10000 + patch * 10 + stability` (xz)."""
    BROTLI = "brotli"
    """`(major << 24) | (minor << 12) | patch`."""
    LCMS = "lcms"
    """`major * 1000 + minor * 10 + patch`, patch omitted when 0 (Little CMS `2.14`)."""
    POSTGRES = "postgres"
    """PG_VERSION_NUM: `150005` is 15.5, `90624` is 9.6.24."""


@dataclass(frozen=True, slots=True)
class VersionPattern:
    """A version string in read-only data: a literal `needle` then a regex tail.

    `standalone` patterns are text that only the component's own code defines (zlib's deflate
    copyright), so a match identifies a static copy by itself; other patterns (header macros a
    consumer may also embed) count only where the component is identified otherwise.
    """

    needle: bytes
    tail: str
    standalone: bool = False

    @property
    def regex(self) -> re.Pattern[bytes]:
        """Return the compiled pattern; group 1 is the version."""
        return _compile(self.needle, self.tail)


@cache
def _compile(needle: bytes, tail: str) -> re.Pattern[bytes]:
    return re.compile(re.escape(needle) + tail.encode("ascii"))


@dataclass(frozen=True, slots=True)
class VersionSymbol:
    """A symbol whose value is the component's version."""

    name: str
    kind: SymbolKind
    decoding: Decoding = Decoding.TEXT


@dataclass(frozen=True, slots=True)
class ComponentSignature:
    """How one upstream component is recognised and named."""

    name: str
    library: str
    """Regex that the library stem (name before `.so`, auditwheel hash removed) must fully match."""
    markers: tuple[str, ...] = ()
    """Symbols only this component defines (defined, not imported, in the object)."""
    patterns: tuple[VersionPattern, ...] = ()
    symbols: tuple[VersionSymbol, ...] = ()
    realname_versions: tuple[tuple[str, str], ...] = ()
    """(real file-name version, upstream version) pairs documented upstream (FreeType's libtool table)."""
    realname_is_upstream: bool = False
    """The build system names the file `lib.so.<upstream version>` (brotli's CMake and libtool rules)."""
    cpe_vendor: str | None = None
    cpe_product: str | None = None
    purl_name: str | None = None
    debian_source: str | None = None

    @property
    def library_regex(self) -> re.Pattern[str]:
        """Return the compiled library-stem regex."""
        return _compile_name(self.library)

    def cpe(self, version: str | None) -> str | None:
        """Return a CPE 2.3 name for this component at `version` (`*` when unknown)."""
        if self.cpe_vendor is None or self.cpe_product is None:
            return None
        return f"cpe:2.3:a:{self.cpe_vendor}:{self.cpe_product}:{version or '*'}:*:*:*:*:*:*:*"

    def purl(self, version: str | None) -> str:
        """Return a generic purl; the version is left out when unknown."""
        base = f"pkg:generic/{self.purl_name or self.name}"
        return f"{base}@{version}" if version else base


@cache
def _compile_name(library: str) -> re.Pattern[str]:
    return re.compile(library)


def _p(needle: str, tail: str, *, standalone: bool = False) -> VersionPattern:
    return VersionPattern(needle.encode("ascii"), tail, standalone)


_V3 = r"(\d+\.\d+\.\d+)"
_V2_3 = r"(\d+\.\d+(?:\.\d+)?)"

# FreeType's docs/VERSIONS.TXT: release -> libtool real name `libfreetype.so.6.x.y`.
_FREETYPE_REALNAMES = (
    ("6.16.0", "2.9.0"),
    ("6.16.1", "2.9.1"),
    ("6.17.0", "2.10.0"),
    ("6.17.1", "2.10.1"),
    ("6.17.2", "2.10.2"),
    ("6.17.3", "2.10.3"),
    ("6.17.4", "2.10.4"),
    ("6.18.0", "2.11.0"),
    ("6.18.1", "2.11.1"),
    ("6.18.2", "2.12.0"),
    ("6.18.3", "2.12.1"),
    ("6.19.0", "2.13.0"),
    ("6.20.0", "2.13.1"),
    ("6.20.1", "2.13.2"),
)

SIGNATURES: tuple[ComponentSignature, ...] = (
    ComponentSignature(
        name="openssl",
        library=r"lib(ssl|crypto)",
        markers=(
            "OpenSSL_version",
            "OpenSSL_version_num",
            "SSLeay_version",
            "SSL_CTX_new",
            "EVP_DigestInit_ex",
        ),
        patterns=(_p("OpenSSL ", r"(\d+\.\d+\.\d+[a-z]?)(?:-\w+)? +\d{1,2} \w{3} \d{4}"),),
        cpe_vendor="openssl",
        cpe_product="openssl",
        debian_source="openssl",
    ),
    ComponentSignature(
        name="zlib",
        library=r"libz",
        markers=("zlibVersion", "deflate_copyright", "inflate_copyright"),
        patterns=(
            _p(" deflate ", r"(\d+\.\d+\.\d+(?:\.\d+)?) Copyright", standalone=True),
            _p(" inflate ", r"(\d+\.\d+\.\d+(?:\.\d+)?) Copyright", standalone=True),
        ),
        symbols=(VersionSymbol("zlibVersion", SymbolKind.RETURN_CSTRING),),
        cpe_vendor="zlib",
        cpe_product="zlib",
        debian_source="zlib",
    ),
    ComponentSignature(
        name="libpng",
        library=r"libpng(1\d)?",
        markers=("png_create_read_struct", "png_access_version_number", "png_get_libpng_ver"),
        patterns=(_p("libpng version ", _V3 + r" - \w+ \d{1,2}, \d{4}", standalone=True),),
        cpe_vendor="libpng",
        cpe_product="libpng",
        debian_source="libpng1.6",
    ),
    ComponentSignature(
        name="libjpeg-turbo",
        library=r"lib(turbo)?jpeg",
        markers=("jpeg_CreateDecompress", "tjInitDecompress"),
        patterns=(_p("libjpeg-turbo version ", _V3 + r" \(build \d+\)", standalone=True),),
        cpe_vendor="libjpeg-turbo",
        cpe_product="libjpeg-turbo",
        debian_source="libjpeg-turbo",
    ),
    ComponentSignature(
        name="mozjpeg",
        library=r"libmozjpeg",
        patterns=(_p("mozjpeg version ", _V3 + r" \(build \d+\)", standalone=True),),
        cpe_vendor="mozilla",
        cpe_product="mozjpeg",
    ),
    ComponentSignature(
        name="libxml2",
        library=r"libxml2",
        markers=("xmlParserVersion", "xmlReadMemory", "xmlInitParser"),
        symbols=(VersionSymbol("xmlParserVersion", SymbolKind.PTR_CSTRING, Decoding.DEC_MMR),),
        cpe_vendor="xmlsoft",
        cpe_product="libxml2",
        debian_source="libxml2",
    ),
    ComponentSignature(
        name="libxslt",
        library=r"libxslt",
        markers=("xsltLibxsltVersion", "xsltEngineVersion", "xsltApplyStylesheet"),
        symbols=(
            VersionSymbol("xsltEngineVersion", SymbolKind.PTR_CSTRING, Decoding.DEC_MMR),
            VersionSymbol("xsltLibxsltVersion", SymbolKind.INT32, Decoding.DEC_MMR),
        ),
        cpe_vendor="xmlsoft",
        cpe_product="libxslt",
        debian_source="libxslt",
    ),
    ComponentSignature(
        name="sqlite",
        library=r"libsqlite3",
        markers=("sqlite3_libversion", "sqlite3_version", "sqlite3_open_v2"),
        symbols=(
            VersionSymbol("sqlite3_version", SymbolKind.CSTRING),
            VersionSymbol("sqlite3_libversion", SymbolKind.RETURN_CSTRING),
        ),
        cpe_vendor="sqlite",
        cpe_product="sqlite",
        debian_source="sqlite3",
    ),
    ComponentSignature(
        name="curl",
        library=r"libcurl(-gnutls|-nss|-openssl)?",
        markers=("curl_version", "curl_easy_init"),
        patterns=(_p("libcurl/", _V3),),
        cpe_vendor="haxx",
        cpe_product="libcurl",
        debian_source="curl",
    ),
    ComponentSignature(
        name="expat",
        library=r"libexpat(w|u)?",
        markers=("XML_ExpatVersion", "XML_ParserCreate"),
        patterns=(_p("expat_", _V3, standalone=True),),
        symbols=(VersionSymbol("XML_ExpatVersion", SymbolKind.RETURN_CSTRING),),
        cpe_vendor="libexpat_project",
        cpe_product="libexpat",
        debian_source="expat",
    ),
    ComponentSignature(
        name="freetype",
        library=r"libfreetype",
        markers=("FT_Init_FreeType", "FT_Library_Version"),
        realname_versions=_FREETYPE_REALNAMES,
        cpe_vendor="freetype",
        cpe_product="freetype",
        debian_source="freetype",
    ),
    ComponentSignature(
        name="harfbuzz",
        library=r"libharfbuzz(-subset|-icu|-gobject|-cairo)?",
        markers=("hb_version_string", "hb_buffer_create"),
        symbols=(VersionSymbol("hb_version_string", SymbolKind.RETURN_CSTRING),),
        cpe_vendor="harfbuzz_project",
        cpe_product="harfbuzz",
        debian_source="harfbuzz",
    ),
    ComponentSignature(
        name="libwebp",
        library=r"lib(webp|webpdemux|webpmux|webpdecoder|sharpyuv)",
        markers=("WebPGetDecoderVersion", "WebPGetDemuxVersion", "WebPGetMuxVersion", "SharpYuvGetVersion"),
        symbols=(
            VersionSymbol("WebPGetDecoderVersion", SymbolKind.RETURN_INT, Decoding.HEX_MMR),
            VersionSymbol("WebPGetDemuxVersion", SymbolKind.RETURN_INT, Decoding.HEX_MMR),
            VersionSymbol("WebPGetMuxVersion", SymbolKind.RETURN_INT, Decoding.HEX_MMR),
        ),
        # SharpYuvGetVersion is a marker only: it returns libsharpyuv's own API version
        # (0.2.1 in libwebp 1.3.1, packed major << 24 | minor << 16 | patch), not libwebp's.
        cpe_vendor="webmproject",
        cpe_product="libwebp",
        debian_source="libwebp",
    ),
    ComponentSignature(
        name="libtiff",
        library=r"libtiff(xx)?",
        markers=("TIFFGetVersion", "TIFFOpen"),
        patterns=(_p("LIBTIFF, Version ", r"(\d+\.\d+\.\d+)", standalone=True),),
        cpe_vendor="libtiff",
        cpe_product="libtiff",
        debian_source="tiff",
    ),
    ComponentSignature(
        name="lcms2",
        library=r"liblcms2",
        markers=("cmsGetEncodedCMMversion", "cmsCreateTransform"),
        symbols=(VersionSymbol("cmsGetEncodedCMMversion", SymbolKind.RETURN_INT, Decoding.LCMS),),
        cpe_vendor="littlecms",
        cpe_product="little_cms",
        debian_source="lcms2",
    ),
    ComponentSignature(
        name="openjpeg",
        library=r"libopenjp2",
        markers=("opj_version", "opj_create_decompress"),
        symbols=(VersionSymbol("opj_version", SymbolKind.RETURN_CSTRING),),
        cpe_vendor="uclouvain",
        cpe_product="openjpeg",
        debian_source="openjpeg2",
    ),
    ComponentSignature(
        name="brotli",
        library=r"libbrotli(common|dec|enc)",
        markers=("BrotliDecoderVersion", "BrotliEncoderVersion", "BrotliGetDictionary"),
        symbols=(
            VersionSymbol("BrotliDecoderVersion", SymbolKind.RETURN_INT, Decoding.BROTLI),
            VersionSymbol("BrotliEncoderVersion", SymbolKind.RETURN_INT, Decoding.BROTLI),
        ),
        realname_is_upstream=True,
        cpe_vendor="google",
        cpe_product="brotli",
        debian_source="brotli",
    ),
    ComponentSignature(
        name="libffi",
        library=r"libffi",
        markers=("ffi_prep_cif", "ffi_call"),
        cpe_vendor="libffi_project",
        cpe_product="libffi",
        debian_source="libffi",
    ),
    ComponentSignature(
        name="pcre2",
        library=r"libpcre2-(8|16|32|posix)",
        markers=("pcre2_compile_8", "pcre2_config_8", "pcre2_compile_16", "pcre2_compile_32"),
        patterns=(_p("", r"(10\.\d\d) \d{4}-\d\d-\d\d\x00"),),
        cpe_vendor="pcre",
        cpe_product="pcre2",
        debian_source="pcre2",
    ),
    ComponentSignature(
        name="pcre",
        library=r"libpcre(cpp|posix|16|32)?",
        markers=("pcre_compile", "pcre_version"),
        patterns=(_p("", r"(8\.\d\d) \d{4}-\d\d-\d\d\x00"),),
        cpe_vendor="pcre",
        cpe_product="pcre",
        debian_source="pcre3",
    ),
    ComponentSignature(
        name="openblas",
        library=r"libopenblas\w*(-r\d.*)?",
        markers=("openblas_get_config", "openblas_get_config64_"),
        patterns=(_p("OpenBLAS ", r"(\d+\.\d+\.\d+)(?:\.dev)? ", standalone=True),),
        cpe_vendor="openblas_project",
        cpe_product="openblas",
        debian_source="openblas",
    ),
    ComponentSignature(
        name="libgfortran",
        library=r"libgfortran",
        markers=("_gfortran_st_write", "_gfortran_runtime_error"),
        cpe_vendor="gnu",
        cpe_product="gcc",
        debian_source="gcc-12",
    ),
    ComponentSignature(
        name="libpq",
        library=r"libpq",
        markers=("PQlibVersion", "PQconnectdb"),
        symbols=(VersionSymbol("PQlibVersion", SymbolKind.RETURN_INT, Decoding.POSTGRES),),
        cpe_vendor="postgresql",
        cpe_product="postgresql",
        purl_name="postgresql",
        debian_source="postgresql-15",
    ),
    ComponentSignature(
        name="krb5",
        library=r"lib(krb5|k5crypto|gssapi_krb5|krb5support|gssrpc|kadm5clnt_mit|kadm5srv_mit|kdb5)",
        markers=("krb5_init_context", "gss_init_sec_context", "krb5int_buf_init"),
        patterns=(_p("KRB5_BRAND: krb5-", r"(\d+\.\d+(?:\.\d+)?)-final", standalone=True),),
        cpe_vendor="mit",
        cpe_product="kerberos_5",
        debian_source="krb5",
    ),
    ComponentSignature(
        name="zstd",
        library=r"libzstd",
        markers=("ZSTD_versionNumber", "ZSTD_compress"),
        symbols=(
            VersionSymbol("ZSTD_versionString", SymbolKind.RETURN_CSTRING),
            VersionSymbol("ZSTD_versionNumber", SymbolKind.RETURN_INT, Decoding.DEC_MMR),
        ),
        cpe_vendor="facebook",
        cpe_product="zstandard",
        debian_source="libzstd",
    ),
    ComponentSignature(
        name="lz4",
        library=r"liblz4",
        markers=("LZ4_versionNumber", "LZ4_compress_default"),
        symbols=(
            VersionSymbol("LZ4_versionString", SymbolKind.RETURN_CSTRING),
            VersionSymbol("LZ4_versionNumber", SymbolKind.RETURN_INT, Decoding.DEC_MMR),
        ),
        cpe_vendor="lz4_project",
        cpe_product="lz4",
        debian_source="lz4",
    ),
    ComponentSignature(
        name="xz",
        library=r"liblzma",
        markers=("lzma_version_number", "lzma_code"),
        symbols=(
            VersionSymbol("lzma_version_string", SymbolKind.RETURN_CSTRING),
            VersionSymbol("lzma_version_number", SymbolKind.RETURN_INT, Decoding.LZMA),
        ),
        cpe_vendor="tukaani",
        cpe_product="xz",
        debian_source="xz-utils",
    ),
    ComponentSignature(
        name="libyaml",
        library=r"libyaml(-0)?",
        markers=("yaml_get_version_string", "yaml_parser_initialize"),
        symbols=(VersionSymbol("yaml_get_version_string", SymbolKind.RETURN_CSTRING),),
        cpe_vendor="pyyaml",
        cpe_product="libyaml",
        debian_source="libyaml",
    ),
    ComponentSignature(
        name="libssh2",
        library=r"libssh2",
        markers=("libssh2_version", "libssh2_session_init_ex"),
        patterns=(_p("SSH-2.0-libssh2_", _V3, standalone=True),),
        cpe_vendor="libssh2",
        cpe_product="libssh2",
        debian_source="libssh2",
    ),
    ComponentSignature(
        name="nghttp2",
        library=r"libnghttp2",
        markers=("nghttp2_version", "nghttp2_session_client_new"),
        cpe_vendor="nghttp2",
        cpe_product="nghttp2",
        debian_source="nghttp2",
    ),
    ComponentSignature(
        name="libuv",
        library=r"libuv",
        markers=("uv_version", "uv_loop_init"),
        symbols=(
            VersionSymbol("uv_version_string", SymbolKind.RETURN_CSTRING),
            VersionSymbol("uv_version", SymbolKind.RETURN_INT, Decoding.HEX_MMR),
        ),
        cpe_vendor="libuv",
        cpe_product="libuv",
        debian_source="libuv1",
    ),
    ComponentSignature(
        name="libvips",
        library=r"libvips(-cpp)?",
        markers=("vips_version_string", "vips_init"),
        symbols=(VersionSymbol("vips_version_string", SymbolKind.RETURN_CSTRING),),
        cpe_vendor="libvips_project",
        cpe_product="libvips",
        debian_source="vips",
    ),
)


def signature_named(name: str) -> ComponentSignature | None:
    """Return the signature of component `name`, or None."""
    return _by_name().get(name)


@cache
def _by_name() -> dict[str, ComponentSignature]:
    return {s.name: s for s in SIGNATURES}


@cache
def wanted_symbols() -> frozenset[str]:
    """Return every marker or version symbol named in the table."""
    names: set[str] = set()
    for sig in SIGNATURES:
        names.update(sig.markers)
        names.update(s.name for s in sig.symbols)
    return frozenset(names)


@cache
def all_patterns() -> tuple[tuple[str, int, VersionPattern], ...]:
    """Return (component, index, pattern) for every version pattern in the table."""
    return tuple((sig.name, i, p) for sig in SIGNATURES for i, p in enumerate(sig.patterns))


@cache
def table_digest() -> str:
    """Return a short digest of the table (part of the analyzer's cache identity)."""
    return hashlib.sha256(repr(SIGNATURES).encode()).hexdigest()[:12]
