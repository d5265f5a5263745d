"""Web edge: the REST API, the customer portal, the agent console."""
