"""flake8-task-tracking: find asyncio tasks nothing keeps alive, and keep them alive."""

__version__ = "0.1.0"
