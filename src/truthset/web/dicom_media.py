"""The renditions of a DICOM object behind one signed media URL (see truthset.dicom).

/media/{token}                   8-bit PNG of frame 0 under the file's default window
/media/{token}?part=png&frame=N  the same for frame N
/media/{token}?part=info         JSON: size, frames, windows, value mapping (no patient tags,
                                 only those the job lists in show_dicom_tags)
/media/{token}?part=display&frame=N             the display copy (uint16 LE grey, PNG colour)
/media/{token}?part=region&frame=N&x=&y=&w=&h=&rw=&rh=   a crop, up to full resolution

The DICOM file itself is never sent.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Mapping
from typing import Any

from fastapi import Response
from sqlalchemy import select

from truthset.db.tables import Job, Task
from truthset.deployment import Deployment
from truthset.dicom import pixels
from truthset.dicom.ahead import renditions
from truthset.dicom.renditions import Region
from truthset.errors import Invalid, StorageError, TruthsetError
from truthset.unreadable import close_unreadable

_PARTS = ("png", "info", "display", "region")


def noting_dicom(sign: Callable[[str], str]) -> tuple[Callable[[str], str], list[str]]:
    """The signer, and the DICOM media URLs it hands out (filled as the template renders)."""
    urls: list[str] = []

    def noted(uri: str) -> str:
        url = sign(uri)
        if url.endswith("?dicom=1") and url not in urls:
            urls.append(url)
        return url

    return noted, urls


def dicom_preloads(urls: list[str]) -> str:
    """Preload links for the viewer's first two requests: the browser fetches them while the
    tools' scripts load, instead of after. (crossorigin: the frame's origin is opaque, and the
    viewer fetches without credentials.)"""
    links = []
    for url in urls[:2]:
        for part in ("info", "display&frame=0"):
            href = html.escape(f"{url}&part={part}")
            links.append(f'<link rel="preload" as="fetch" crossorigin="anonymous" href="{href}">')
    return "".join(links)


def _int(query: Mapping[str, str], name: str, default: int | None = None) -> int:
    value = query.get(name)
    if value is None:
        if default is None:
            raise Invalid(f"{name} is required")
        return default
    try:
        return int(value)
    except ValueError:
        raise Invalid(f"{name} must be a whole number") from None


def _shown_tags(dep: Deployment, task_id: int, read: Callable[[], bytes]) -> dict[str, str]:
    with dep.db.read() as conn:
        options = conn.scalar(
            select(Job.options).join(Task, Task.job_id == Job.id).where(Task.id == task_id)
        )
    keywords = json.loads(options or "{}").get("show_dicom_tags") or []
    if not keywords:
        return {}
    return pixels.tag_values(pixels.read_dataset(read(), header_only=True), keywords)


def _body(dep: Deployment, task_id: int, uri: str, query: Mapping[str, str]) -> Response:
    part = query.get("part", "png")
    if part not in _PARTS:
        raise Invalid(f"part must be one of {', '.join(_PARTS)}")
    store = renditions(dep)

    def read() -> bytes:
        return dep.storage.read_bytes(uri)

    frame = _int(query, "frame", 0)
    if part == "info":
        described: dict[str, Any] = dict(store.info(uri, read))
        described["tags"] = _shown_tags(dep, task_id, read)
        return Response(json.dumps(described), media_type="application/json")
    if part == "png":
        return Response(store.png(uri, frame, read), media_type="image/png")
    color = store.info(uri, read)["info"]["color"]
    kind = "image/png" if color else "application/octet-stream"
    if part == "display":
        return Response(store.display(uri, frame, read), media_type=kind)
    region = Region(*(_int(query, name) for name in ("x", "y", "w", "h", "rw", "rh")))
    return Response(store.region(uri, frame, region, read), media_type=kind)


def dicom_response(
    dep: Deployment,
    task_id: int,
    uri: str,
    query: Mapping[str, str],
    unreadable: Callable[[StorageError], Response],
) -> Response:
    """One rendition, or the reason there is none (an object that cannot be shown fails)."""
    try:
        response = _body(dep, task_id, uri, query)
    except StorageError as error:
        return unreadable(error)
    except pixels.UnreadableDicom as error:
        # The file is there but can never be shown: its data object fails with the reason.
        message = f"{uri}: {error.message}"
        close_unreadable(dep, task_id, f"media cannot be read: {message}")
        return Response(message, status_code=422, media_type="text/plain")
    except Invalid as error:
        return Response(error.message, status_code=400, media_type="text/plain")
    except TruthsetError as error:  # pydicom is not installed
        return Response(error.message, status_code=501, media_type="text/plain")
    response.headers.update(
        {
            "Cache-Control": f"private, max-age={dep.settings.media_url_ttl}",
            "Access-Control-Allow-Origin": "*",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        }
    )
    return response
