"""Incidents: reading and acting on them, their timeline and the live event stream."""
