"""Errors of the triage (VEX) seam: bad statements, unreadable documents, bad policy files."""

from __future__ import annotations

from hullscan.errors import HullscanError


class VexError(HullscanError):
    """A triage statement, VEX document or policy cannot be used."""

    hint = "Check the statement or document against the OpenVEX, CycloneDX or CSAF specification."


class StatementError(VexError):
    """A statement given on the command line is incomplete or contradictory."""

    hint = (
        "Give VULN, --product PURL|image:REPO and --status not_affected|affected|fixed|under_investigation; "
        "not_affected needs --justification or --impact, affected needs --action."
    )


class DocumentError(VexError):
    """A VEX document cannot be read at all (not JSON, or no known VEX format)."""

    hint = "Give an OpenVEX 0.2.0 JSON, a CycloneDX JSON with vulnerabilities[].analysis, or a CSAF 2.0 VEX."


class PolicyError(VexError):
    """The triage policy file is not valid TOML or names unknown values."""

    hint = "See `hullscan scan --help`: [suppress] statuses, justifications, min_confidence, human."


class UnknownStatementError(VexError):
    """No statement with the given id exists in the store."""

    hint = "List statements with `hullscan vex list` and use the ID column."
