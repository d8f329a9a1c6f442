"""Sign-in: accounts, passwords, access keys, login limits, sessions, password resets, OIDC and
network limits."""
