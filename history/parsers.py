"""The API's JSON parser: the body counted while read, and refused when it cannot be stored."""

from __future__ import annotations

from typing import IO, Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from .errors import PayloadTooLarge
from .jsonbody import BadJSON, TooLarge, parse_json, read_limited


class StorableJSONParser(JSONParser):
    def parse(
        self, stream: IO[bytes], media_type: str | None = None, parser_context: Any = None
    ) -> Any:
        try:
            return parse_json(read_limited(stream))
        except TooLarge as exc:
            raise PayloadTooLarge(str(exc)) from None
        except BadJSON as exc:
            raise ParseError(str(exc)) from None
