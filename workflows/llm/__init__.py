"""Agents, ``prompt_llm`` and model calls as durable steps, on pydantic-ai."""

from .agents import Agent, AgentPrompt, AgentReply, AgentResult, define_agent, prompt_llm
from .providers import MissingModelKey

__all__ = [
    "Agent",
    "AgentPrompt",
    "AgentReply",
    "AgentResult",
    "MissingModelKey",
    "define_agent",
    "prompt_llm",
]
