"""A reportlab canvas that sends its document to a file as it goes, for very long PDFs.

reportlab's :class:`~reportlab.pdfgen.canvas.Canvas` keeps every finished page in memory
until ``save()``, then builds the whole file in memory: the printable cards of a plan
63 times larger took 900 MB.  :class:`StreamingCanvas` is the same canvas, with two
changes that leave the file byte for byte as reportlab writes it:

* when a page is finished (``showPage``), its content stream is encoded at once, as
  reportlab would encode it at the end, and kept in a temporary file; the page keeps
  only a reference to it;
* ``save()`` writes the document's objects to the output one by one, as reportlab
  formats them (reading each page's stream back from the temporary file), instead of
  joining them in memory.

So memory does not grow with the number of pages.  It relies on the internals of the
pinned reportlab version (its document's ``format``, pages and streams); the tests
compare its output with reportlab's own.
"""

from __future__ import annotations

import base64
import tempfile
import weakref
from typing import IO, Any

from reportlab import rl_config
from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen.canvas import Canvas


class StreamingCanvas(Canvas):
    """A :class:`~reportlab.pdfgen.canvas.Canvas` on a binary file object whose pages are
    not kept in memory (see the module).  Not for encrypted documents."""

    def __init__(self, out: IO[bytes], **kwargs: Any) -> None:
        if kwargs.get("encrypt"):
            raise ValueError("StreamingCanvas does not encrypt")
        super().__init__(out, **kwargs)
        self._out = out
        self._spool = tempfile.TemporaryFile()
        weakref.finalize(self, self._spool.close)  # also when drawing fails before save()
        self._doc.__class__ = _StreamingDocument  # type: ignore[assignment]
        self._doc.output = out  # type: ignore[attr-defined]

    def showPage(self) -> None:  # noqa: N802 (reportlab's name)
        super().showPage()
        page = self._doc.Pages.pages[-1]
        # As PDFPage.check_format would make it when the document is written.
        stream = pdfdoc.PDFStream(content=page.stream)
        if page.compression:
            base85 = pdfdoc.PDFBase85Encode if rl_config.wrapA85 else _BASE85
            stream.filters = [base85, pdfdoc.PDFZCompress] if rl_config.useA85 else [pdfdoc.PDFZCompress]
        page.Contents = _SpooledStream(self._spool, stream.format(self._doc))
        page.stream = None

    def save(self) -> None:
        try:
            super().save()
        finally:
            self._spool.close()


class _Base85:
    """reportlab's ASCII85 filter (the same text: groups of zeros as ``z``, a short last
    group cut, ``~>`` at the end) by the standard library's encoder, about three times
    faster than reportlab's pure-Python one (its C accelerator is not installed)."""

    pdfname = "ASCII85Decode"

    def encode(self, data: bytes | str) -> str:
        if isinstance(data, str):
            data = data.encode("latin-1")
        return base64.a85encode(data).decode("ascii") + "~>"


_BASE85 = _Base85()


class _SpooledStream(pdfdoc.PDFObject):
    """A page's content stream, already formatted, waiting in the spool file."""

    __RefOnly__ = 1
    __Comment__ = "page stream"

    def __init__(self, spool: IO[bytes], data: bytes) -> None:
        self.spool = spool
        self.offset = spool.seek(0, 2)
        self.length = spool.write(data)

    def format(self, document: Any) -> bytes:
        self.spool.seek(self.offset)
        return self.spool.read(self.length)


class _WrittenFile(pdfdoc.PDFFile):
    """reportlab's output collector, writing each part to the output at once."""

    def __init__(self, out: IO[bytes], pdf_version: Any) -> None:
        super().__init__(pdf_version)  # collects the header
        for part in self.strings:
            out.write(part)
        self.strings = []
        self.write = out.write

    def format(self, document: Any) -> bytes:
        return b""  # everything is written already


class _StreamingDocument(pdfdoc.PDFDocument):
    """reportlab's document, formatting its objects straight into the output."""

    output: IO[bytes]

    def format(self) -> bytes:
        # reportlab 5.1's PDFDocument.format, with the output collector written through.
        self.encrypt.prepare(self)
        cat, info = self.Catalog, self.info
        self.Reference(cat)
        self.Reference(info)
        encryptref = None
        encryptinfo = self.encrypt.info()
        if encryptinfo:
            encryptref = self.Reference(encryptinfo)
        if (not rl_config.invariant and rl_config.pdfComments) or getattr(self, "_digiSigs", None):
            raise ValueError("StreamingCanvas writes neither PDF comments nor signatures")
        counter = 0
        ids = []
        numbertoid = self.numberToId
        id_to_object = self.idToObject
        self.__accum__ = out = _WrittenFile(self.output, self._pdfVersion)
        while True:
            counter += 1  # new objects may be added while others are formatted
            if counter not in numbertoid:
                break
            oid = numbertoid[counter]
            self.idToOffset[oid] = out.add(pdfdoc.PDFIndirectObject(oid, id_to_object[oid]).format(self))
            ids.append(oid)
        del self.__accum__
        if counter - 1 != len(numbertoid):
            raise ValueError(f"counter {counter} does not match the {len(numbertoid)} objects")
        xref = pdfdoc.PDFCrossReferenceTable()
        xref.addsection(0, ids)
        xref_offset = out.add(xref.format(self))
        trailer = pdfdoc.PDFTrailer(startxref=xref_offset, Size=len(numbertoid) + 1,
                                    Root=self.Reference(cat), Info=self.Reference(info),
                                    Encrypt=encryptref, ID=self.ID())
        out.add(trailer.format(self))
        return out.format(self)
