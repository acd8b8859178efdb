"""The config layer: one YAML file, validated against ``schemas/config.schema.json``
plus semantic checks, every problem reported with its path and line.

::

    config = load_config("orderkit.yaml", known_channels={"taobao"})
    problems = validate_config("orderkit.yaml")   # never raises for content errors

Modules: ``yaml_lines`` (YAML with a line per path), ``validate`` (schema errors in
ops' words), ``semantic`` (checks the schema cannot express), ``model`` (typed
config, ``SecretRef``), ``loader`` (the entry points), ``starter`` (``orderkit init``).
"""

from __future__ import annotations

from orderkit.config.loader import (
    ConfigSource,
    load_config,
    load_config_text,
    validate_config,
    validate_config_text,
)
from orderkit.config.model import (
    SANDBOX_ENDPOINT,
    AddressConfig,
    Config,
    CourierConfig,
    DatabaseConfig,
    LoggingConfig,
    SecretRef,
    ShopConfig,
    SkuConfig,
    WarehouseConfig,
    is_sandbox_endpoint,
    parse_duration,
)
from orderkit.config.starter import STARTER_CONFIG, starter_config

__all__ = [
    "SANDBOX_ENDPOINT",
    "STARTER_CONFIG",
    "AddressConfig",
    "Config",
    "ConfigSource",
    "CourierConfig",
    "DatabaseConfig",
    "LoggingConfig",
    "SecretRef",
    "ShopConfig",
    "SkuConfig",
    "WarehouseConfig",
    "is_sandbox_endpoint",
    "load_config",
    "load_config_text",
    "parse_duration",
    "starter_config",
    "validate_config",
    "validate_config_text",
]
