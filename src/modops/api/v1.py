"""The REST API, version 1: OpenAPI at /api/v1/openapi.json, docs at /api/v1/docs."""

from __future__ import annotations

from ninja import NinjaAPI

from modops.api import errors

api = NinjaAPI(
    title="modops API",
    version="1",
    description="Intake of reports and detections, review claims and decisions, subject standing and the event log.",
    urls_namespace="api-v1",
)
errors.install(api)


def _mount() -> None:
    from modops.audit.api import router as events
    from modops.childsafety.api import router as childsafety
    from modops.hashbanks.api import router as media
    from modops.intake.api import router as intake
    from modops.review.api import router as review
    from modops.screening.api import router as screening
    from modops.subjects.api import router as subjects

    for router in (intake, review, subjects, events, media, childsafety, screening):
        api.add_router("", router)


_mount()
