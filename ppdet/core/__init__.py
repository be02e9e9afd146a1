"""Config system: registry, YAML dialect loader, validation, construction."""
