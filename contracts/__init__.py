"""What the services and the web share: payload shapes, typed remote errors,
event names, the signed caller identity and the RPC transport.

Nothing here knows a service's internals; each service and the web import
only this package from one another.
"""
