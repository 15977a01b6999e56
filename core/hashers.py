from django.contrib.auth.hashers import Argon2PasswordHasher


class FastTestArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 with minimal cost, for the test suite only: every test cast issues a dozen log-ins,
    and full-cost argon2 would make the suite minutes slower. Hashes stay valid argon2 hashes."""

    time_cost = 1
    memory_cost = 64
    parallelism = 1
