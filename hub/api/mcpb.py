"""``POST /api/mcpb/upload``: an MCPB bundle (multipart field ``mcpbFile``) unpacked,
checked and registered as a stdio server (``hub.services.mcpb``).

The body is streamed with its own cap (``systemConfig.mcpb.maxUploadBytes`` plus room for
the multipart framing) instead of the JSON body limit; an announced length over the cap is
refused before the body is read. Optional fields: ``userConfig`` (JSON object of
``user_config`` values) and ``name`` (the server's name; default the manifest's).
"""

from __future__ import annotations

from typing import Any, Literal

import tornado.httputil
import tornado.web
from pydantic import BaseModel

from hub.api.api_spec import Op
from hub.api.base import APIHandler
from hub.auth.principal import Policy
from hub.errors import BadRequest, HubError, PayloadTooLarge
from hub.services import mcpb

FRAMING = 64 * 1024
"""Room for the multipart boundaries and the small form fields next to the file."""


class UploadedServer(BaseModel):
    name: str
    config: dict[str, Any]


class UploadData(BaseModel):
    manifest: dict[str, Any]
    extractDir: str
    server: UploadedServer


class UploadReply(BaseModel):
    success: Literal[True]
    data: UploadData


@tornado.web.stream_request_body
class UploadHandler(APIHandler):
    policy = Policy.ADMIN
    docs = {
        "POST": Op(
            "Upload an MCPB bundle (multipart: mcpbFile, userConfig, name) and register it "
            "as a stdio server; admins' login sessions only",
            response=UploadReply,
            errors=(403, 409, 413),
        )
    }

    async def prepare(self) -> None:
        self._body = bytearray()
        self._refusal: HubError | None = None
        self._cap = self.hub.config.system.mcpb.max_upload_bytes + FRAMING
        announced = self.request.headers.get("Content-Length")
        if announced and announced.isdigit() and int(announced) > self._cap:
            raise PayloadTooLarge(f"MCPB file exceeds {self._cap - FRAMING} bytes")
        try:
            await super().prepare()
            mcpb.require_uploader(self.caller)
        except HubError as exc:
            # Answered once the body is read: a reply sent while the client is still
            # sending is lost to a TCP reset. The body of a refused request is discarded.
            self._refusal = exc
        if self.request.connection is not None:
            self.request.connection.set_max_body_size(self._cap)  # type: ignore[attr-defined]

    def data_received(self, chunk: bytes) -> None:
        if self._refusal is not None:
            return
        if len(self._body) + len(chunk) > self._cap:
            self._refusal = PayloadTooLarge(f"MCPB file exceeds {self._cap - FRAMING} bytes")
            self._body = bytearray()
            return
        self._body.extend(chunk)

    async def post(self) -> None:
        if self._refusal is not None:
            raise self._refusal
        content_type = self.request.headers.get("Content-Type", "")
        if not content_type.startswith("multipart/form-data"):
            raise BadRequest("Send the bundle as multipart/form-data in the field mcpbFile")
        args: dict[str, list[bytes]] = {}
        files: dict[str, list[tornado.httputil.HTTPFile]] = {}
        try:
            tornado.httputil.parse_body_arguments(content_type, bytes(self._body), args, files)
        except tornado.httputil.HTTPInputError as exc:
            raise BadRequest(f"Invalid multipart body: {exc}") from None
        self._body = bytearray()
        uploaded = files.get(mcpb.FIELD)
        if not uploaded:
            raise BadRequest("No MCPB file uploaded")
        result = await mcpb.upload(
            self.hub,
            self.caller,
            uploaded[0].filename,
            uploaded[0].body,
            user_config=_field(args, "userConfig"),
            name=_field(args, "name"),
        )
        self.reply(result, "MCPB file uploaded and installed successfully")


def _field(args: dict[str, list[bytes]], name: str) -> str | None:
    values = args.get(name)
    if not values:
        return None
    try:
        return values[0].decode()
    except UnicodeDecodeError:
        raise BadRequest(f"{name} must be UTF-8 text") from None


default_handlers = [(r"/api/mcpb/upload", UploadHandler)]
