"""diaspora package."""
