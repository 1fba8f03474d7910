"""The page behind a hook's resume URL: a form that asks before resuming, and its answer.

Its answers are HTML, so it words its own errors (404, 409, 400) instead of the API's JSON
envelope.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from pydantic import ValidationError

from history.errors import field_errors
from history.hook_forms import SchemaGone, build_form, hook_schema, read_payload
from history.jsonbody import BadJSON
from history.models import Step
from history.throttle import client_ip

from .. import runs
from ..errors import HookNotFound, InvalidState


def hook_page(
    request: HttpRequest,
    token: str,
    values: dict[str, str],
    errors: dict[str, list[str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The confirmation page of GET /hooks/<token>: the hook's form, filled from ``values``.

    A GET never resumes, so a link scanner or a preview that fetches the URL changes nothing;
    the form's POST does.
    """
    try:
        step = runs.find_hook(token)
    except HookNotFound as exc:
        return _hook_answer(request, str(exc), exc.status)
    if step.status != Step.Status.WAITING or step.run.is_terminal:
        return _hook_answer(
            request, f"Hook {step.step_id} of run {step.run.public_id} is no longer open.", 409
        )
    try:
        form = build_form(hook_schema(step), values, errors)
    except SchemaGone as exc:
        return _hook_answer(request, str(exc), 409)
    context = {"step": step, "run": step.run, "form": form}
    return render(request, "hooks/resume.html", context, status=status)


def resume_from_form(request: HttpRequest, token: str, form: dict[str, str]) -> HttpResponse:
    """The form's POST: resume with what it holds, or show the form again with what was wrong."""
    shown = {name.replace("\x00", ""): value.replace("\x00", "") for name, value in form.items()}
    try:
        step = runs.find_hook(token)
        payload = read_payload(hook_schema(step), form)
        step = runs.resume_hook(token, payload, resumed_by="hook URL", address=client_ip(request))
    except (HookNotFound, InvalidState) as exc:
        return _hook_answer(request, str(exc), exc.status)
    except SchemaGone as exc:
        return _hook_answer(request, str(exc), 409)
    except BadJSON as exc:
        return hook_page(request, token, shown, errors={"(body)": [str(exc)]}, status=400)
    except ValidationError as exc:
        return hook_page(request, token, shown, errors=field_errors(exc), status=400)
    return _hook_answer(
        request, f"Resumed: run {step.run.public_id} goes on with {step.step_id}'s answer.", 200
    )


def _hook_answer(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(
        request, "hooks/answer.html", {"message": message, "ok": status == 200}, status=status
    )
