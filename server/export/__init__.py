"""Export tasks: plan from params, run in the background, stream NDJSON results from files."""
