"""Organizations' API keys, request authentication and signed export links."""
