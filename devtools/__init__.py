"""Developer tools: not deployed."""
