"""The page behind a hook's resume URL: a form that asks before resuming, and its answer.

Its answers are HTML, so it words its own errors (404, 409, 400) instead of the API's JSON
envelope.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from pydantic import BaseModel, TypeAdapter, ValidationError

from history.jsonbody import BadJSON, check_storable
from history.models import Step
from history.throttle import client_ip

from .. import runs
from ..errors import HookNotFound, InvalidState, field_errors


@dataclass(frozen=True)
class HookField:
    name: str
    value: str
    boolean: bool = False
    required: bool = False


def hook_page(
    request: HttpRequest, token: str, values: dict[str, str], errors: Any = None, status: int = 200
) -> HttpResponse:
    """The confirmation page of GET /hooks/<token>: the hook's fields, filled from ``values``.

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
    context = {
        "step": step,
        "run": step.run,
        "fields": _fields(runs.hook_schema(step), values),
        "errors": errors,
    }
    return render(request, "hooks/resume.html", context, status=status)


def resume_from_form(request: HttpRequest, token: str, form: dict[str, str]) -> HttpResponse:
    """The form's POST: resume with what it holds, or show the form again with what was wrong."""
    # left empty: the default
    payload = {name: value for name, value in form.items() if value != ""}
    try:
        check_storable(payload)  # a NUL in a field cannot be stored
    except BadJSON as exc:
        shown = {
            name.replace("\x00", ""): value.replace("\x00", "") for name, value in form.items()
        }
        return hook_page(request, token, shown, errors={"(form)": [str(exc)]}, status=400)
    try:
        step = runs.resume_hook(token, payload, resumed_by="hook URL", address=client_ip(request))
    except (HookNotFound, InvalidState) as exc:
        return _hook_answer(request, str(exc), exc.status)
    except ValidationError as exc:
        return hook_page(request, token, form, errors=field_errors(exc), status=400)
    return _hook_answer(
        request, f"Resumed: run {step.run.public_id} goes on with {step.step_id}'s answer.", 200
    )


def _fields(schema: type[BaseModel] | None, values: dict[str, str]) -> list[HookField]:
    if schema is None:  # no schema: the link's query is the payload, shown to be checked
        return [HookField(name, value) for name, value in values.items()]
    fields = []
    for name, info in schema.model_fields.items():
        default = None if info.is_required() else info.get_default(call_default_factory=True)
        shown = (
            ""
            if default is None
            else _as_form_text(
                TypeAdapter(info.annotation or Any).dump_python(default, mode="json")
            )
        )
        fields.append(
            HookField(name, values.get(name, shown), info.annotation is bool, info.is_required())
        )
    return fields


def _as_form_text(value: Any) -> str:
    """A default as the form shows it: JSON's spelling (true, an enum's value, ["a"]), strings as
    they are.
    """
    return value if isinstance(value, str) else json.dumps(value)


def _hook_answer(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(
        request, "hooks/answer.html", {"message": message, "ok": status == 200}, status=status
    )
