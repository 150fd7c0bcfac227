"""Reading an upload (``multipart/form-data``: the form's fields and one part named ``file``)
and checking its file before any service is called: size (``REFNET_ATTACHMENT_MAX_BYTES``),
name, and type by content (``services/contracts/attachments.py``). The API routes and the web
pages read uploads here. A refusal names the field and never the file's name or content."""

import io

from flask import Request, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from services.contracts import attachments as rules

from .errors import ApiProblem, InputError
from .resources.declare import FORM, Uploaded

FORM_OVERHEAD = 64 * 1024  # a form's fields and part headers, beside the file itself


class GatewayRequest(Request):
    """Flask's request, keeping an uploaded file in memory: Werkzeug would spool a part over
    500 KB to a temporary file, and an identity scan must never lie unencrypted on the gateway's
    disk. Memory is bounded by the request's size limit (``_parsed``)."""

    def _get_file_stream(self, total_content_length, content_type, filename=None,
                         content_length=None):
        return io.BytesIO()


def _too_large(limit: int) -> ApiProblem:
    return ApiProblem(413, "file-too-large", "File too large",
                      f"A file may be at most {limit} bytes.", field="file")


def _parsed(limit: int):
    """The request's form and files, parsed once (Flask keeps them), within the limit."""
    if request.mimetype != FORM:
        raise ApiProblem(415, "unsupported-media-type", "Unsupported media type",
                         "Send the file as multipart/form-data, in a part named file.",
                         field="body")
    request.max_content_length = limit + FORM_OVERHEAD  # this request only (Flask 3.1)
    try:
        return request.form, request.files
    except RequestEntityTooLarge:
        raise _too_large(limit) from None


def form_fields() -> dict:
    """The upload's form fields (one value each) for the endpoint's body schema."""
    form, _ = _parsed(current_app.config["ATTACHMENT_MAX_BYTES"])
    return form.to_dict()


def file_part() -> Uploaded:
    """The upload's file part, read up to the limit: ``413`` beyond it, ``422`` naming ``file``
    when there is none."""
    limit = current_app.config["ATTACHMENT_MAX_BYTES"]
    _, files = _parsed(limit)
    part = files.get("file")
    if part is None:
        raise InputError("Send the file in a part named file.", "file")
    try:
        data = part.stream.read(limit + 1)
    except RequestEntityTooLarge:
        raise _too_large(limit) from None
    if len(data) > limit:
        raise _too_large(limit)
    return Uploaded(part.filename or "", data)


def checked(upload: Uploaded | None, limit: int) -> Uploaded:
    """The upload, when its file may be stored: a name, some content within ``limit`` that is
    a PDF, JPEG or PNG by its first bytes; else ``413`` or ``422`` naming ``file``."""
    if upload is None:
        raise InputError("Send the file in a part named file.", "file")
    if len(upload.data) > limit:
        raise _too_large(limit)
    problem = rules.content_problem(upload.data, limit)
    if problem:
        raise InputError(f"file: {problem}.", "file")
    name = rules.clean_name(upload.file_name)
    if name is None:
        raise InputError("file: the file needs a name.", "file")
    return Uploaded(name, upload.data)
