"""iex engine: recipes, validation, expressions, the runner, state, scheduling and PayMatch."""

__version__ = "0.1.0"
