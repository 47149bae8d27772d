"""How a file is offered for download: the `Content-Disposition` of an attachment."""

from __future__ import annotations

from urllib.parse import quote


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the exact name in UTF-8 (RFC 6266, RFC 8187),
    ASCII only, so that it can travel as an HTTP header and as S3 object metadata."""
    ascii_name = filename.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
