"""Views: thin adapters between Pyramid requests and the services."""
