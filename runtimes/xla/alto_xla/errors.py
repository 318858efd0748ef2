"""Errors the runtime answers with: each has a stable `code` a client can switch on.

The codes are part of the wire protocol (PROTOCOL.md); add one there and in ERROR_CODES.
"""

ERROR_CODES = (
    "bad_frame",  # the frame or its header is malformed; the connection stays usable
    "frame_too_large",  # the length prefix exceeds the limit; the runtime closes the connection
    "unknown_op",
    "invalid_input",  # a request names wrong tensors, dtypes or shapes
    "model_not_loaded",
    "model_invalid",  # the version directory cannot be loaded or compiled
    "internal",  # anything else; the message carries the exception
)


class RuntimeFault(Exception):
    """An error answered to the client as {"code", "message"}."""

    def __init__(self, code: str, message: str):
        assert code in ERROR_CODES, code
        super().__init__(message)
        self.code = code
        self.message = message
