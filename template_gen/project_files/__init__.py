"""Editing the user's own project files (the registry, service files, samconfig.toml) safely: YAML edits
that keep comments and layout, and transactions that put every file back when a step fails. Used by the
commands that change a project: new-service, publish."""
