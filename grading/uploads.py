"""An upload handler that stops keeping a file once it passes a size limit.

Django otherwise spools the whole upload to disk before a view can look at its size: a
multi-gigabyte POST would fill the disk. With this handler nothing past the limit is kept;
the rest of the body is read and dropped (so the browser gets the page saying why, not a
reset connection; put a body limit in the proxy in front to spare the bandwidth too)."""

from __future__ import annotations

from django.core.files.uploadhandler import FileUploadHandler, StopUpload


class SizeLimitedUpload(FileUploadHandler):
    def __init__(self, request=None, *, limit: int):
        super().__init__(request)
        self.limit, self.received = limit, 0
        self.exceeded = False

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None
