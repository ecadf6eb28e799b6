"""Shared test setup: every test runs with its own working directory under tmp_path, so state
files and moved input files never leak between tests or into the checkout."""

import os

# Every mapping the tests evaluate runs both ways, as generated Python and through the node tree,
# and fails on any difference in output or error: the whole suite is a differential test of
# engine/mapping/codegen.py (bench/mapping.py measures the generated path alone).
os.environ.setdefault("IEX_CROSSCHECK_MAPPINGS", "1")
