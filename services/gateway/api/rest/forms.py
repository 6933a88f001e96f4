"""``multipart/form-data`` → request messages, for rules with ``body: "*"`` whose request has one bytes field.

The file part (named ``file``, or the bytes field's own name) fills that bytes field; text parts fill other
fields by name, exactly like query parameters (``spec_id`` or ``specId``, ``options.background``). The part's
filename and content type fill the request's ``filename`` / ``content_type`` string fields when it has them
and the form did not set them. Text parts must come before the file, so that a client-streaming method gets
its first message (metadata + first chunk) as soon as the file starts; each further piece of the file is one
more message. A unary method gets one message when the body has been read. The file is refused (413
``FILE_TOO_LARGE``) as soon as it passes ``max_file_bytes``, the same cap the servicer checks for UploadImage.
"""

from __future__ import annotations

from google.protobuf import descriptor
from google.protobuf.message import Message

from services.gateway.api.rest.descriptors import HttpBinding, message_class
from services.gateway.api.rest.errors import invalid, too_large
from services.gateway.api.rest.mapping import FD, build_request, parse_into, query_dict
from services.gateway.api.rest.multipart import PartEnd, PartStart

FILE_PART = "file"
MAX_TEXT_BYTES = 64 * 1024
AUTO_FIELDS = {"filename": "filename", "content_type": "content_type"}


def upload_field(desc: descriptor.Descriptor) -> FD | None:
    """The request's one singular top-level bytes field (None when it has none or several)."""
    found = [f for f in desc.fields if f.type == FD.TYPE_BYTES and not f.is_repeated]
    return found[0] if len(found) == 1 else None


class FormMessages:
    def __init__(self, desc: descriptor.Descriptor, binding: HttpBinding, path_vars: dict[str, str],
                 streaming: bool, max_file_bytes: int = 0) -> None:
        upload = upload_field(desc)
        if upload is None:
            raise invalid("this method does not take a file upload")
        self.desc, self.binding, self.path_vars, self.streaming = desc, binding, path_vars, streaming
        self.upload = upload
        self.file_names = {FILE_PART, upload.name, upload.json_name}
        self.texts: list[tuple[str, str]] = []
        self._text: bytearray | None = None
        self._text_name = ""
        self._file: PartStart | None = None
        self._file_done = False
        self._sent_head = False
        self._data = bytearray()
        self.max_file_bytes = max_file_bytes
        self.file_bytes = 0

    def on_event(self, event: PartStart | PartEnd | bytes) -> list[Message]:
        if isinstance(event, PartStart):
            self._start(event)
            return []
        if isinstance(event, PartEnd):
            return self._end()
        if self._text is not None:
            self._text += event
            if len(self._text) > MAX_TEXT_BYTES:
                raise invalid(f"form fields are limited to {MAX_TEXT_BYTES} bytes")
            return []
        return self._chunk(bytes(event))

    def finish(self) -> list[Message]:
        if self._file is None:
            raise invalid(f"the form has no {FILE_PART!r} part")
        if self.streaming:
            return []
        head = self._head(bytes(self._data))
        return [head]

    def _start(self, part: PartStart) -> None:
        if part.name in self.file_names and part.filename is not None:
            if self._file is not None:
                raise invalid("send one file per request")
            self._file = part
        elif part.filename is not None:
            raise invalid(f"unexpected file part {part.name!r}: send the file as {FILE_PART!r}", field=part.name)
        elif self._file is not None:
            raise invalid("form fields must come before the file part", field=part.name)
        else:
            self._text = bytearray()
            self._text_name = part.name

    def _end(self) -> list[Message]:
        if self._text is not None:
            name = self._text_name
            try:
                self.texts.append((name, self._text.decode("utf-8")))
            except UnicodeDecodeError:
                raise invalid(f"form field {name!r} is not UTF-8 text", field=name) from None
            self._text = None
            return []
        self._file_done = True
        if self.streaming and not self._sent_head:
            self._sent_head = True
            return [self._head(b"")]
        return []

    def _chunk(self, data: bytes) -> list[Message]:
        if self._file is None or self._file_done:
            return []
        self.file_bytes += len(data)
        if self.max_file_bytes and self.file_bytes > self.max_file_bytes:
            raise too_large(self.max_file_bytes, upload=True)
        if not self.streaming:
            self._data += data
            return []
        if not self._sent_head:
            self._sent_head = True
            return [self._head(data)]
        return [message_class(self.desc)(**{self.upload.name: data})]

    def _head(self, data: bytes) -> Message:
        """The first (or only) message: path variables, text fields, file metadata and ``data``."""
        message = build_request(self.desc, self.binding, self.path_vars, [], {})
        given = {name for name, _ in self.texts}
        texts = list(self.texts)
        for field_name, attr in AUTO_FIELDS.items():
            field = self.desc.fields_by_name.get(field_name)
            value = getattr(self._file, attr) if self._file else None
            if field is not None and field.type == FD.TYPE_STRING and value and \
                    not given & {field.name, field.json_name}:
                texts.append((field_name, value))
        taken = {v.field_path for v in self.binding.template.variables} | {self.upload.name}
        if texts:
            parse_into(message, query_dict(self.desc, texts, taken), "form fields")
        setattr(message, self.upload.name, data)
        return message
