"""Helpers of the evaluations tests."""


def pytest_on_a_sqlite_file(test_file: str, tmp_path, keyword: str = "sqlite_file", timeout: int = 600):
    """Run the tests of `test_file` matching `keyword` in a child pytest whose SQLite test database is
    a file (the in-memory one cannot be shared between threads, nor read as a file)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "RECTIFY_SQLITE_TEST_NAME": str(tmp_path / "test.sqlite3")}
    env.pop("DATABASE_URL", None)
    command = [sys.executable, "-m", "pytest", "-o", "addopts=", "-p", "no:cacheprovider", "--nomigrations", "-q"]
    return subprocess.run(
        [*command, test_file, "-k", keyword], cwd=root, env=env, capture_output=True, text=True, timeout=timeout
    )
