"""Shared test setup: every test runs with its own working directory under tmp_path, so state
files and moved input files never leak between tests or into the checkout."""
