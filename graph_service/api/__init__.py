"""FastAPI application: thin routers over `GraphService`."""
