"""Receive one photo upload as a stream: byte cap and SHA-256 while reading, never all in memory.

Litestar parses multipart bodies itself (with the `multipart` package) and hands over the whole
file; here we read `request.stream()` and feed python-multipart's streaming `MultipartParser`, so
that the file part goes straight to a temporary file with a running hash and the upload stops the
moment it passes `max_file_bytes`. The handler must not declare a `data` parameter (that would
make Litestar read the body first). Litestar still applies `request_max_body_size` to the stream.

Usage in a handler::

    upload = await receive_upload(request, max_file_bytes=..., tmp_dir=settings.var_dir / "tmp")
    try:
        ...  # process_photo(upload.file_path, sha256=upload.sha256, byte_size=upload.byte_size)
    finally:
        if upload.file_path:
            upload.file_path.unlink(missing_ok=True)
"""

from __future__ import annotations

import hashlib
import re
import tempfile
from contextlib import aclosing
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from litestar import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from inspect_app.bounds import parse_whole
from inspect_app.errors import AppError
from inspect_app.i18n import gettext as _
from inspect_app.photos.pipeline import PhotoTooLarge

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks  # declared for type checkers only

MAX_FIELD_BYTES = 4 * 1024  # each non-file field
MAX_FIELDS = 32
MAX_HEADER_BYTES = 4 * 1024  # one part header line
MAX_PART_HEADERS = 8
# What a form around the photo may add to the body: fields, part headers and boundaries.
FORM_OVERHEAD_BYTES = MAX_FIELDS * (MAX_FIELD_BYTES + 1024) + 64 * 1024
_BOUNDARY_RE = re.compile(r"^[0-9A-Za-z'()+_,\-./:=? ]{1,70}$")  # RFC 2046 bchars
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


class UploadInvalid(AppError):
    status_code, code = 400, "bad_upload"


class NotMultipart(AppError):
    status_code, code = 415, "unsupported_media_type"


class FieldTooLarge(AppError):
    status_code, code = 413, "field_too_large"


@dataclass
class ReceivedUpload:
    fields: dict[str, str]  # the non-file parts, UTF-8 text; a repeated name keeps its last value
    file_path: Path | None  # a temporary file the caller deletes; None when no (or an empty) file
    filename: str  # as the client named it, without any directory part
    declared_type: str  # the part's Content-Type as sent (not trusted: the pipeline sniffs)
    byte_size: int
    sha256: str  # hex, of exactly the bytes in file_path; "" without a file


def _too_large(max_file_bytes: int) -> PhotoTooLarge:
    return PhotoTooLarge(
        _(
            "The photo is larger than %(limit)s MB. Please choose a smaller photo.",
            limit=f"{max_file_bytes / 1_000_000:.3g}",
        )
    )


def clean_filename(raw: str) -> str:
    """The last path component, without control characters, at most 200 characters."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = _CONTROL_RE.sub("", name).strip()
    return name[-200:]


class _Receiver:
    """python-multipart callbacks: one part at a time, either into a field buffer or the file."""

    def __init__(self, *, file_field: str, max_file_bytes: int, tmp_dir: Path) -> None:
        self.file_field = file_field
        self.max_file_bytes = max_file_bytes
        self.tmp_dir = tmp_dir
        self.fields: dict[str, str] = {}
        self.ended = False
        # the file
        self.file: IO[bytes] | None = None
        self.file_path: Path | None = None
        self.filename = ""
        self.declared_type = ""
        self.byte_size = 0
        self.hash = hashlib.sha256()
        self.seen_file = False
        # the current part
        self.headers: dict[str, str] = {}
        self.header_field = bytearray()
        self.header_value = bytearray()
        self.part_name: str | None = None
        self.part_is_file = False
        self.part_buffer = bytearray()
        self.field_count = 0

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self.on_part_begin,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_end": self.on_end,
        }

    def on_part_begin(self) -> None:
        self.headers = {}
        self.header_field.clear()
        self.header_value.clear()
        self.part_name = None
        self.part_is_file = False
        self.part_buffer.clear()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        name = self.header_field.decode("latin-1").strip().lower()
        self.headers[name] = self.header_value.decode("latin-1").strip()
        self.header_field.clear()
        self.header_value.clear()

    def on_headers_finished(self) -> None:
        disposition, params = parse_options_header(self.headers.get("content-disposition", ""))
        if disposition != b"form-data" or b"name" not in params:
            raise UploadInvalid(_("The upload is malformed: a part has no field name."))
        # Browsers send UTF-8 bytes in these quoted strings; they arrive here as latin-1.
        name = params[b"name"].decode("utf-8", "replace")
        if name == self.file_field:
            if self.seen_file:
                raise UploadInvalid(_("Please send one photo per upload."))
            self.seen_file = self.part_is_file = True
            self.filename = clean_filename(params.get(b"filename", b"").decode("utf-8", "replace"))
            ctype, _params = parse_options_header(self.headers.get("content-type", ""))
            self.declared_type = ctype.decode("latin-1") or "application/octet-stream"
            self.tmp_dir.mkdir(parents=True, exist_ok=True)
            self.file = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in finish/discard
                dir=self.tmp_dir, prefix="upload-", suffix=".part", delete=False
            )
            self.file_path = Path(self.file.name)
            return
        if b"filename" in params:
            raise UploadInvalid(
                _("Unexpected file in the field “%(name)s”.", name=name[:50]),
                fields={name[:50]: _("Only the photo field takes a file.")},
            )
        self.field_count += 1
        if self.field_count > MAX_FIELDS:
            raise UploadInvalid(_("The upload has too many fields."))
        self.part_name = name

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self.part_is_file:
            assert self.file is not None
            self.byte_size += end - start
            if self.byte_size > self.max_file_bytes:
                raise _too_large(self.max_file_bytes)
            chunk = data[start:end]
            self.hash.update(chunk)
            self.file.write(chunk)
            return
        if len(self.part_buffer) + (end - start) > MAX_FIELD_BYTES:
            name = (self.part_name or "")[:50]
            message = _("The field “%(name)s” is too long.", name=name)
            raise FieldTooLarge(message, fields={name: message})
        self.part_buffer += data[start:end]

    def on_part_end(self) -> None:
        if self.part_is_file:
            assert self.file is not None
            self.file.close()
            return
        if self.part_name is None:
            return
        try:
            value = self.part_buffer.decode("utf-8")
        except UnicodeDecodeError:
            raise UploadInvalid(
                _("The field “%(name)s” is not valid text.", name=self.part_name[:50])
            ) from None
        self.fields[self.part_name] = value

    def on_end(self) -> None:
        self.ended = True

    def discard(self) -> None:
        if self.file is not None:
            self.file.close()
        if self.file_path is not None:
            self.file_path.unlink(missing_ok=True)
        self.file = None
        self.file_path = None

    def result(self) -> ReceivedUpload:
        if self.file is not None:
            self.file.close()
        if self.file_path is not None and self.byte_size == 0:
            # A form submitted without choosing a file sends an empty part: no photo.
            self.discard()
        has_file = self.file_path is not None
        return ReceivedUpload(
            fields=self.fields,
            file_path=self.file_path,
            filename=self.filename,
            declared_type=self.declared_type,
            byte_size=self.byte_size if has_file else 0,
            sha256=self.hash.hexdigest() if has_file else "",
        )


def _boundary(request: Request) -> bytes:
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    if ctype != b"multipart/form-data":
        raise NotMultipart(_("Please send the photo as a form upload (multipart/form-data)."))
    boundary = params.get(b"boundary", b"").decode("latin-1")
    if not _BOUNDARY_RE.match(boundary) or boundary.endswith(" "):
        raise UploadInvalid(_("The upload is malformed: its multipart boundary is missing."))
    return boundary.encode("latin-1")


async def receive_upload(
    request: Request, *, file_field: str = "file", max_file_bytes: int, tmp_dir: Path
) -> ReceivedUpload:
    """Stream a multipart/form-data request: the `file_field` part into a temporary file in
    `tmp_dir` (hashed, capped at `max_file_bytes`), every other part into `fields` (4 KB each).

    Raises NotMultipart (415), UploadInvalid (400), FieldTooLarge (413) or PhotoTooLarge (413);
    no temporary file is left behind when it raises. The caller deletes `file_path` when done."""
    boundary = _boundary(request)
    announced = parse_whole(request.headers.get("content-length")) or 0
    if announced > max_file_bytes + FORM_OVERHEAD_BYTES:
        raise _too_large(max_file_bytes)  # refuse before reading a byte
    receiver = _Receiver(file_field=file_field, max_file_bytes=max_file_bytes, tmp_dir=tmp_dir)
    parser = MultipartParser(
        boundary,
        receiver.callbacks(),
        max_header_count=MAX_PART_HEADERS,
        max_header_size=MAX_HEADER_BYTES,
    )
    try:
        received = 0
        body_limit = max_file_bytes + FORM_OVERHEAD_BYTES  # also bounds preamble and padding
        async with aclosing(request.stream()) as stream:
            async for chunk in stream:
                received += len(chunk)
                if received > body_limit:
                    raise _too_large(max_file_bytes)
                parser.write(chunk)
                if receiver.ended:
                    break  # ignore any epilogue
        parser.finalize()
        if not receiver.ended:
            raise UploadInvalid(_("The upload was interrupted. Please try again."))
        return receiver.result()
    except MultipartParseError as exc:
        receiver.discard()
        raise UploadInvalid(_("The upload is malformed. Please try again.")) from exc
    except BaseException:
        receiver.discard()
        raise
