"""The complaint pages: making a complaint (public.py) and the unit's own pages (unit.py)."""
