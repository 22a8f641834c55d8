"""Submissions: ``submissions/<name>/`` (manifest, model code, safetensors weights) validated,
evaluated with a suite's standard protocol in a time- and memory-limited child process, and
published as a leaderboard entry."""
