"""The report signed as a PDF, the way offices send documents (PAdES, Nghị định 30/2020).

``baocao sign --year Y`` → :func:`sign_with` (:mod:`.signing`)
    The built PDF plus an incremental update holding a PAdES signature (B-B; B-T with a time
    stamp server), made with pyHanko from a PKCS#12 file or a PKCS#11 token
    (:mod:`.credentials`). The appearance sits in the report's signature block, found in the
    PDF's own text (:mod:`.block`), and follows Phụ lục I of Nghị định 30: the signature image,
    the seal over its left third, or a text stamp (:mod:`.appearance`).

``baocao verify FILE.pdf [--trust CA.pem]`` → :func:`check_pdf` (:mod:`.checking`)
    Each signature: intact, signer, time, chain to a trust root, and whether the signed
    revision is the built report. ``verify`` of an archive checks the signed PDF in it too.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator


@contextlib.contextmanager
def quiet_pyhanko() -> Iterator[None]:
    """pyHanko logs what it finds (with tracebacks) at WARNING; baocao reports it itself."""
    loggers = [logging.getLogger(name) for name in ("pyhanko", "pyhanko_certvalidator")]
    saved = [(lg.level, lg.propagate) for lg in loggers]
    handler = logging.NullHandler()
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.CRITICAL + 1)
        lg.propagate = False
    try:
        yield
    finally:
        for lg, (level, propagate) in zip(loggers, saved, strict=True):
            lg.removeHandler(handler)
            lg.setLevel(level)
            lg.propagate = propagate
