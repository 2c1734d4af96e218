from flask import Flask


def register_commands(app: Flask) -> None:
    """Filled by the demo work."""
