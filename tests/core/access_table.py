from tests.access import RouteAccess, everyone, post_route

ROUTES = [
    RouteAccess("core.healthz", lambda w: "/healthz", everyone(200)),
    RouteAccess("core.readyz", lambda w: "/readyz", everyone(200)),
    post_route(
        "core.set_locale",
        lambda w: "/locale",
        everyone(302),
        lambda w: {"locale": "fr", "next": "/"},
    ),
]
