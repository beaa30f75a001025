"""Configuration: settings from the environment, site YAML files and geography data."""
