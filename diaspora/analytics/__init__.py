"""Aggregates for the mapping dashboard: where the diaspora lives, what it can do, what it will do."""

# Importing the summary registers the ORM hooks that keep the dashboard counts current.
from diaspora.analytics import summary as summary
