"""TRK2xx: short-lived event loops that close before background callbacks finish."""
