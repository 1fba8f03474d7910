"""An agent that works in a workspace: it writes a script, runs it in the sandbox and reads what
it printed. ``workspace=True`` gives it read_file, write_file, list_files, delete_file and
run_command, and each of its runs a folder that outlives workers and sleeps. Offline it runs on
the test model, which calls each tool once with the example its field gives: it writes
``hello.py``, reads it back, runs ``python3 hello.py`` and deletes a scratch file."""

from __future__ import annotations

from workflows.sdk import define_agent

script_writer = define_agent(
    slug="script-writer",
    name="Script writer",
    description="Write a small Python script for the task, run it, and report what it printed.",
    model="openai:gpt-4o-mini",
    system_prompt=(
        "You solve small tasks by writing a Python script into your workspace with write_file, "
        "running it with run_command ('python3 <file>'), and reading its output. Commands have "
        "no network. If the script fails, read the error, fix the script and run it again. "
        "Answer with what the script printed, and the file you left."
    ),
    workspace=True,
)
