"""Security: staff login (argon2id + TOTP), customer tokens, roles and the one access gate."""
