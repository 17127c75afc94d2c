"""Staff accounts: users and roles, sign-in and sign-out, API keys, the audit log page."""
