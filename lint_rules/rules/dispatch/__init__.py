"""TRK3xx: callback classes must declare how their async hooks are dispatched."""
