"""Agents, ``prompt_llm`` and model calls as durable steps, on pydantic-ai."""

from .agents import Agent, AgentPrompt, AgentReply, AgentResult, define_agent, prompt_llm

__all__ = [
    "Agent",
    "AgentPrompt",
    "AgentReply",
    "AgentResult",
    "define_agent",
    "prompt_llm",
]
