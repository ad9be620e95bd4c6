"""Home Assistant custom integrations shipped with wac-toolkit (HACS copies ``wac/`` only)."""
