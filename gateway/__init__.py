"""The HTTP gateway: authentication, per-role endpoints, problem+json errors, OpenAPI.

It calls the services by nameko RPC and hands police submissions to the durable intake queue;
it never touches a service's database.
"""
