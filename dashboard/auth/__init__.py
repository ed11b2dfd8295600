"""Access control: accounts and roles, tokens, kiosk, enforcement, login.

    dashboard.auth.enforce.install(server, dash_app, settings)   enforce on every request
    dashboard.auth.permissions.require(action)                    raise Forbidden unless allowed
    dashboard.auth.sessions.current_principal()                   who is asking

See docs/security.md.
"""
