"""Long work over HTTP: a parcel file uploaded for import (or its dry run) becomes a job to poll
(progress, then the report or the refusal); estimates recorded, read with their state, and
issued by a verifier.

A job runs in a thread of the instance that took the upload; its progress and outcome are kept
in the database (:mod:`sinkledger.services.jobs`), so any instance answers ``GET /v1/jobs/{id}``.
The import itself is one journal entry, all rows or none, exactly as from the app or the CLI.
Only the actor that started a job sees it.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Query, UploadFile
from pydantic import Field

from ledger.permissions import Actor, require
from sinkledger import catalogue
from sinkledger.api.deps import Acting, Paged, RequestId, Svc
from sinkledger.api.ledger_routes import Body
from sinkledger.services import jobs
from sinkledger.services.parcels import PERMISSION as PARCEL_PERMISSION
from sinkledger.services.registry import Service
from sinkledger_base.errors import IntegrityFailure, InvalidInput, SinkLedgerError, printable

router = APIRouter(prefix="/v1")
CHUNK = 1024 * 1024
log = logging.getLogger("sinkledger.api")


class EstimateIn(Body):
    parcel_codes: list[str]
    methodology_id: str = Field(examples=["tea_garden_v1"])
    inputs: dict[str, Any] = Field(description="The methodology's inputs (numbers as decimal texts).")
    gwp_profile: str = "AR5"


class IssuanceIn(Body):
    estimate_id: str
    verified_kg_co2e: int = Field(description="The verified quantity, kg CO2e (at most the estimate's).")
    project_code: str = Field(examples=["AJBF01"])
    buffer_share_bp: int = Field(description="Buffer share in basis points (1/100 %).", examples=[1000])
    to_account: str | None = None
    acknowledged_matches: list[str] | None = Field(
        default=None, examples=[["carbonplan:CAR1205"]],
        description="Imported registries' projects this issuance matches and the verifier acknowledges "
                    "(<registry>:<project id>, as the refusal registry_double_counting_suspected lists them; docs/registry-import.md).")


def _save_upload(upload: UploadFile, folder: Path, max_bytes: int) -> Path:
    """The upload written to ``folder`` under its own base name (the suffix tells the format);
    more than ``max_bytes`` is refused before the rest is read."""
    name = Path(printable(upload.filename or "upload", 120).replace("\\", "/")).name or "upload"
    target = folder / name
    written = 0
    with open(target, "wb") as out:
        while chunk := upload.file.read(CHUNK):
            written += len(chunk)
            if written > max_bytes:
                raise InvalidInput("upload_too_large", max_mb=max_bytes // (1024 * 1024))
            out.write(chunk)
    return target


def _run_job(svc: Service, job_id: str, work: Any, folder: Path) -> None:
    try:
        result = work(jobs.Progress(svc, job_id))
        status, outcome = "done", {"result": catalogue.localise(result)}
    except SinkLedgerError as err:
        status, outcome = "refused", {"problem": catalogue.refusal_dict(err)}
    except Exception:  # noqa: BLE001 - a job's failure is reported on the job, never lost in a thread
        log.exception("job %s failed", job_id)
        status, outcome = "failed", {"problem": catalogue.refusal_dict(IntegrityFailure("internal_error",
                                                                                       error_id=job_id))}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    jobs.finish(svc, job_id, status, outcome)


def start_job(svc: Service, actor: Actor, kind: str, work: Any, folder: Path) -> dict[str, Any]:
    """Record a running job and run ``work(progress)`` in a thread of this instance."""
    view = jobs.start(svc, actor, kind)
    threading.Thread(target=_run_job, args=(svc, view["job_id"], work, folder), daemon=True,
                     name=f"job-{view['job_id']}").start()
    return view


@router.post("/parcel-imports", status_code=202, tags=["parcels"])
def post_parcel_import(svc: Svc, actor: Acting, request_id: RequestId,
                       file: Annotated[UploadFile, File(description="Parcel file: zipped Shapefile, GeoPackage, "
                                                                    "GeoJSON, KML/KMZ, CSV with WKT.")],
                       options: Annotated[str, Form(description="ImportOptions as JSON (docs/parcels.md).")] = "{}",
                       dry_run: Annotated[bool, Form(description="Check and report only.")] = False) -> dict[str, Any]:
    """Upload a parcel file to import (one journal entry, all rows or none) or to check
    (``dry_run``); poll the returned job at ``/v1/jobs/{job_id}``."""
    # The services' own role check, made before the upload is stored and parsed, so that another
    # role is refused at once (403) rather than by its job; the service checks it again.
    require(actor, PARCEL_PERMISSION)
    try:
        opts = json.loads(options)
    except ValueError:
        raise InvalidInput("value_invalid", field="options", value=printable(options, 40)) from None
    folder = Path(tempfile.mkdtemp(prefix="sinkledger-upload-"))
    try:
        path = _save_upload(file, folder, svc.settings.file_limits.max_file_bytes)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    if dry_run:
        def work(progress: Any) -> Any:
            return svc.preview_parcels(actor, path=path, options=opts, progress=progress)
    else:
        def work(progress: Any) -> Any:
            return svc.import_parcels(actor, request_id, path=path, options=opts, progress=progress)
    return start_job(svc, actor, "parcel_preview" if dry_run else "parcel_import", work, folder)


@router.get("/jobs/{job_id}", tags=["parcels"])
def get_job(job_id: str, svc: Svc, actor: Acting) -> dict[str, Any]:
    """A job's status (running, done, refused, failed), progress and, when finished, its
    result or its refusal (with both messages)."""
    return jobs.job(svc, actor, job_id)


@router.post("/estimates", status_code=201, tags=["estimates"])
def post_estimate(body: EstimateIn, svc: Svc, actor: Acting, request_id: RequestId) -> dict[str, Any]:
    """Record an estimate (测算) of a parcel set with a methodology, with its whole trace."""
    return svc.record_estimate(actor, request_id, **body.model_dump())


@router.get("/estimates", tags=["estimates"])
def get_estimates(svc: Svc, actor: Acting, page: Paged,
                  parcel_code: Annotated[str | None, Query(max_length=40)] = None,
                  state: Annotated[Literal["waiting", "returned", "issued"] | None, Query()] = None) -> dict[str, Any]:
    """Recorded estimates, newest first, with their state (waiting for verification, returned
    by the verifier with comments, or issued)."""
    found = svc.estimates_page(actor, parcel_code=parcel_code, state=state, limit=page.limit, offset=page.offset)
    return page.of_page(found["items"], found["total"])


@router.get("/estimates/{estimate_id}", tags=["estimates"])
def get_estimate(estimate_id: str, svc: Svc, actor: Acting) -> dict[str, Any]:
    """A recorded estimate: inputs, result, trace, and its state."""
    return svc.estimate_with_state(actor, estimate_id)


@router.post("/issuances", status_code=201, tags=["estimates"])
def post_issuance(body: IssuanceIn, svc: Svc, actor: Acting, request_id: RequestId) -> dict[str, Any]:
    """The verifier approves a quantity of an estimate and credits are issued (核证 / 签发) as a
    serial block, less the buffer share."""
    return svc.issue(actor, request_id, **body.model_dump())
