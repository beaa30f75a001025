"""Site-specific parser modules, for sites their YAML config cannot express."""
