"""HTTP routes: thin handlers that parse with the shared models and call a service."""
