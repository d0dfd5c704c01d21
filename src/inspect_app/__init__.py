"""inspect-app: field inspections for a city subdistrict office."""

__version__ = "0.1.0"
