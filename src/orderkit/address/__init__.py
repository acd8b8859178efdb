"""Chinese address cleaning. Importing this package does not import SQLAlchemy."""

from orderkit.address.types import AddressHints, AddressRequest, AddressResult

__all__ = ["AddressHints", "AddressRequest", "AddressResult"]
