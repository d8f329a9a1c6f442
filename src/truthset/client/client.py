"""`Client`: one object per server and token. Every call raises ApiError (with the API's error
type and message) for an error answer."""

from __future__ import annotations

import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from truthset.client.models import Export, Failure, Job, Result, SentBack, Team

if TYPE_CHECKING:
    import pandas


class ApiError(Exception):
    """An error answer: `status` (HTTP), `type` and `message` from the API's error body."""

    def __init__(self, status: int, type_: str, message: str) -> None:
        super().__init__(f"{status} {type_}: {message}")
        self.status = status
        self.type = type_
        self.message = message


class Client:
    def __init__(
        self, url: str, token: str | None = None, *, timeout: float = 30.0, **httpx_args: Any
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.url = url.rstrip("/")
        self.token = token
        self._http = httpx.Client(base_url=self.url, headers=headers, timeout=timeout, **httpx_args)

    @classmethod
    def login(cls, url: str, email: str, password: str, **kwargs: Any) -> Client:
        """Signs in with e-mail and password; the client then holds the bearer token."""
        with httpx.Client(base_url=url.rstrip("/"), timeout=kwargs.get("timeout", 30.0)) as http:
            data = _json(http.post("/api/v1/login", json={"email": email, "password": password}))
        return cls(url, data["token"], **kwargs)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        return _json(self._http.request(method, "/api/v1" + path, **kwargs))

    def me(self) -> dict[str, Any]:
        return dict(self._call("GET", "/me"))

    def logout(self) -> None:
        self._call("POST", "/logout")

    # --- work teams ---------------------------------------------------------------------

    def teams(self) -> list[Team]:
        return [Team.of(t) for t in self._call("GET", "/teams")]

    def create_team(self, name: str, description: str = "") -> Team:
        return Team.of(
            self._call("POST", "/teams", json={"name": name, "description": description})
        )

    def create_workers(
        self, team: str, emails: list[str], password: str | None = None
    ) -> list[dict[str, Any]]:
        """Active workers at once; returns each e-mail with its (generated) password."""
        body = {"emails": emails, "password": password}
        return list(self._call("POST", f"/teams/{team}/workers", json=body))

    # --- labeling jobs ------------------------------------------------------------------

    def create_job(
        self,
        name: str,
        manifest: str,
        output: str,
        team: str,
        task_type: str = "image-classification",
        labels: list[str] | None = None,
        **fields: Any,
    ) -> Job:
        """Creates and starts a job; `manifest` and `output` are paths on the server (or
        s3:// URIs). Other fields as the API's JobIn (workers_per_object, title, options...)."""
        body = {
            "name": name,
            "manifest": manifest,
            "output": output,
            "team": team,
            "task_type": task_type,
            "labels": labels,
            **fields,
        }
        return Job.of(self._call("POST", "/jobs", json=body))

    def jobs(self, status: str | None = None) -> list[Job]:
        params = {"status": status} if status else {}
        return [Job.of(j) for j in self._call("GET", "/jobs", params=params)]

    def job(self, name: str) -> Job:
        """The job's status and label counters (its progress)."""
        return Job.of(self._call("GET", f"/jobs/{name}"))

    progress = job

    def stop_job(self, name: str) -> Job:
        return Job.of(self._call("POST", f"/jobs/{name}/stop"))

    def wait(
        self,
        name: str,
        interval: float = 2.0,
        timeout: float | None = None,
        on_progress: Callable[[Job], None] | None = None,
    ) -> Job:
        """Polls until the job has ended (Completed, Failed or Stopped); TimeoutError after
        `timeout` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = self.job(name)
            if on_progress is not None:
                on_progress(job)
            if job.ended:
                return job
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {name} is still {job.status} after {timeout} s")
            time.sleep(interval)

    # --- results ------------------------------------------------------------------------

    def results(self, name: str, page_size: int = 1000) -> Iterator[Result]:
        """Every object of the job in object-id order, fetched a page at a time."""
        after: int | None = -1
        while after is not None:
            page = self._call(
                "GET", f"/jobs/{name}/results", params={"after": after, "limit": page_size}
            )
            yield from (Result.of(r) for r in page["results"])
            after = page["next_after"]

    def failures(self, name: str, page_size: int = 1000) -> Iterator[Failure]:
        """The job's failed objects in object-id order, fetched a page at a time."""
        after: int | None = -1
        while after is not None:
            page = self._call(
                "GET", f"/jobs/{name}/failures", params={"after": after, "limit": page_size}
            )
            yield from (Failure.of(f) for f in page["failures"])
            after = page["next_after"]

    def dataframe(self, name: str) -> pandas.DataFrame:
        """The results as a pandas DataFrame (pip install 'truthset[dataframe]'): one row per
        object with object_id, state, machine_labeled, answers, the manifest line's own keys,
        `label` (the label attribute's value) and `metadata` (its -metadata)."""
        import pandas

        job = self.job(name)
        attr = job.label_attribute_name
        rows = []
        for result in self.results(name):
            line = dict(result.line)
            label, metadata = line.pop(attr, None), line.pop(f"{attr}-metadata", None)
            rows.append(
                {
                    "object_id": result.object_id,
                    "state": result.state,
                    "machine_labeled": result.machine_labeled,
                    "answers": result.answers,
                    **line,
                    "label": label,
                    "metadata": metadata,
                }
            )
        return pandas.DataFrame(rows)

    def send_back(self, name: str, object_id: int, answers: int = 1) -> SentBack:
        """Sends a labeled object back for `answers` more answers from workers of the team who
        have not been given it (a Completed job goes back to InProgress)."""
        path = f"/jobs/{name}/objects/{object_id}/send-back"
        return SentBack.of(self._call("POST", path, json={"answers": answers}))

    # --- exports ------------------------------------------------------------------------

    def start_export(self, name: str, format: str, min_confidence: float | None = None) -> Export:
        body = {"format": format, "min_confidence": min_confidence}
        return Export.of(self._call("POST", f"/jobs/{name}/exports", json=body))

    def get_export(self, export_id: int) -> Export:
        return Export.of(self._call("GET", f"/exports/{export_id}"))

    def exports(self, name: str) -> list[Export]:
        return [Export.of(e) for e in self._call("GET", f"/jobs/{name}/exports")]

    def wait_export(self, export_id: int, interval: float = 0.5, timeout: float = 3600) -> Export:
        deadline = time.monotonic() + timeout
        while (run := self.get_export(export_id)).status == "Running":
            if time.monotonic() > deadline:
                raise TimeoutError(f"export {export_id} is still running after {timeout} s")
            time.sleep(interval)
        if run.status == "Failed":
            raise ApiError(500, "export_failed", run.error or "the export failed")
        return run

    def download_export(self, export_id: int, path: Path) -> Path:
        """Streams the export's zip file to `path`."""
        with self._http.stream("GET", f"/api/v1/exports/{export_id}/download") as response:
            if response.status_code >= 400:
                response.read()
                _json(response)
            with path.open("wb") as out:
                for chunk in response.iter_bytes():
                    out.write(chunk)
        return path

    def export(
        self, name: str, format: str, folder: Path, min_confidence: float | None = None
    ) -> Export:
        """Starts an export, waits for it and unpacks it into `folder`."""
        run = self.wait_export(self.start_export(name, format, min_confidence).id)
        folder.mkdir(parents=True, exist_ok=True)
        archive = folder / f".{run.job}-{run.format}-{run.id}.zip"
        try:
            self.download_export(run.id, archive)
            with zipfile.ZipFile(archive) as opened:
                opened.extractall(folder)  # member names were written by the server, no ".."
        finally:
            archive.unlink(missing_ok=True)
        return run


def _json(response: httpx.Response) -> Any:
    if response.status_code >= 400:
        try:
            error = response.json()["error"]
            kind, message = str(error["type"]), str(error["message"])
        except (ValueError, KeyError, TypeError):
            kind, message = "http_error", response.text[:500]
        raise ApiError(response.status_code, kind, message)
    if response.status_code == 204 or not response.content:
        return None
    return response.json()
