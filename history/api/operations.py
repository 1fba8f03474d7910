"""The OpenAPI schema's operation ids and tags (the schema class of REST_FRAMEWORK)."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema

# Every operation's id and tag, so generated clients get names a person would choose
# (``client.runs.cancel_run``), not the generator's (``api_runs_cancel_create``). A route missing
# here fails the schema test.
OPERATIONS = {
    ("GET", "/api/runs"): ("list_runs", "runs"),
    ("GET", "/api/runs/{id}"): ("get_run", "runs"),
    ("GET", "/api/runs/{id}/trace"): ("get_run_trace", "runs"),
    ("GET", "/api/runs/{id}/compare/{other}"): ("compare_runs", "runs"),
    ("GET", "/api/runs/counts"): ("count_runs", "runs"),
    ("GET", "/api/runs/failures"): ("list_failures", "runs"),
    ("POST", "/api/runs/{id}/cancel"): ("cancel_run", "runs"),
    ("POST", "/api/runs/{id}/retry"): ("retry_run", "runs"),
    ("POST", "/api/runs/{id}/rerun"): ("rerun_run", "runs"),
    ("POST", "/api/runs/{id}/hooks/{name}"): ("resume_run_hook", "hooks"),
    ("GET", "/api/hooks"): ("list_open_hooks", "hooks"),
    ("GET", "/hooks/{token}"): ("get_hook", "hooks"),
    ("POST", "/hooks/{token}"): ("resume_hook", "hooks"),
    ("GET", "/api/runs/bulk"): ("list_bulk_jobs", "bulk"),
    ("POST", "/api/runs/bulk"): ("start_bulk_job", "bulk"),
    ("GET", "/api/runs/bulk/{id}"): ("get_bulk_job", "bulk"),
    ("POST", "/api/runs/bulk/{id}/stop"): ("stop_bulk_job", "bulk"),
    ("GET", "/api/workflows"): ("list_workflows", "workflows"),
    ("POST", "/api/workflows/{slug}"): ("start_workflow", "workflows"),
    ("POST", "/api/workflows/{slug}/pause"): ("pause_workflow", "workflows"),
    ("POST", "/api/workflows/{slug}/resume"): ("resume_workflow", "workflows"),
    ("GET", "/api/agents"): ("list_agents", "agents"),
    ("POST", "/api/agents/{slug}/prompt"): ("prompt_agent", "agents"),
    ("POST", "/api/agents/{slug}/pause"): ("pause_agent", "agents"),
    ("POST", "/api/agents/{slug}/resume"): ("resume_agent", "agents"),
    ("GET", "/api/triggers"): ("list_triggers", "triggers"),
    ("GET", "/api/triggers/{slug}"): ("get_trigger", "triggers"),
    ("POST", "/api/triggers/{slug}/invoke"): ("invoke_trigger", "triggers"),
    ("POST", "/api/triggers/{slug}/disable"): ("disable_trigger", "triggers"),
    ("POST", "/api/triggers/{slug}/enable"): ("enable_trigger", "triggers"),
    ("POST", "/api/triggers/{slug}/secret"): ("set_trigger_secret", "triggers"),
    ("POST", "/triggers/{endpoint}"): ("deliver_webhook", "triggers"),
    ("GET", "/api/api-keys"): ("list_api_keys", "api-keys"),
    ("POST", "/api/api-keys"): ("create_api_key", "api-keys"),
    ("POST", "/api/api-keys/{id}/revoke"): ("revoke_api_key", "api-keys"),
}


class KeystrokeAutoSchema(AutoSchema):
    """Operation ids and tags from OPERATIONS."""

    def _curated(self) -> tuple[str, str] | None:
        return OPERATIONS.get((self.method.upper(), self.path))

    def get_operation_id(self) -> str:
        curated = self._curated()
        return curated[0] if curated else super().get_operation_id()

    def get_tags(self) -> list[str]:
        curated = self._curated()
        return [curated[1]] if curated else super().get_tags()
