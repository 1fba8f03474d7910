"""History's API: the record read over HTTP (runs and their steps), API keys, the schema and its
docs page. The routes that change runs are the engine's, in workflows.api."""
