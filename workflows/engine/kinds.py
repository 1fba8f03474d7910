"""The kinds of step the engine records, and the statuses a step record moves through."""

from __future__ import annotations

from enum import StrEnum


class StepKind(StrEnum):
    """What a step is; stored as the step row's ``kind``."""

    ACTION = "action"
    MODEL = "model"  # one model request of an agent or prompt_llm, retried like an action
    SLEEP = "sleep"
    HOOK = "hook"
    WORKFLOW = "workflow"  # a child run
    NOW = "now"
    UUID = "uuid"
    AGENT = "agent"  # an agent prompt: its model calls and tool calls are its children
    LLM = "llm"  # a prompt_llm call, with its model calls as children
    PATCH = "patch"  # ctx.patched(): the run took a changed workflow's new branch here


SUCCESS, FAILED, SLEEPING, WAITING = "success", "failed", "sleeping", "waiting"
SETTLED = (SUCCESS, FAILED)
