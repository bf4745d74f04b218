"""Packaging for kscarriers (the SDK) and mockserver (the carrier simulator)."""

import re
from pathlib import Path

from setuptools import find_packages, setup

# The version lives in kscarriers/_version.py alone; read as text so that building needs no imports.
VERSION = re.search(r'__version__ = "([^"]+)"', Path("kscarriers/_version.py").read_text("utf-8")).group(1)

# A carrier is one line in each list: the SDK's adapter and the mock server's carrier.
BUILTIN_CARRIERS = [
    "zto = kscarriers.carriers.zto:ZtoAdapter",
    "yto = kscarriers.carriers.yto:YtoAdapter",
    "sto = kscarriers.carriers.sto:StoAdapter",
    "jt = kscarriers.carriers.jt:JtAdapter",
]
MOCK_CARRIERS = [
    "zto = mockserver.carriers.zto:CARRIER",
    "yto = mockserver.carriers.yto:CARRIER",
    "sto = mockserver.carriers.sto:CARRIER",
    "jt = mockserver.carriers.jt:CARRIER",
]

SDK = ["requests>=2.28", "tenacity>=9.0", "attrs>=23.1"]
CLI = ["click>=8.0"]
# flask-swagger-ui: the packaged Swagger UI behind /__admin/docs.
MOCK = ["flask>=2.3", "waitress>=2.1", "flask-swagger-ui>=5"]
# Only the driver: playwright drives an installed Chromium (executable_path), never its own.
BROWSER = ["playwright>=1.40"]
USER_TESTING = ["pytest>=7.4", "responses>=0.23"]
ADDRESS = ["cpca>=0.5"]
DOCS = ["mkdocs>=1.6", "mkdocs-material>=9.5", "mkdocstrings[python]>=0.26"]
# django, fastapi and httpx (FastAPI's TestClient) only test the documented push receivers;
# pytest-xdist proves the mockserver fixtures work under it.
SUITE = [
    # pyproject's addopts use --disable-plugin-autoload (pytest 8.4) and name the plugins to load.
    "pytest>=8.4",
    "pytest-xdist>=3.5",
    "hypothesis>=6.80",
    "jsonschema>=4",
    "django>=4.2",
    "fastapi>=0.100",
    "httpx>=0.24",
    # The admin API's conformance run (tests/mockserver/test_admin_conformance.py); the current
    # major needs Python 3.11, so older interpreters skip that module.
    'schemathesis>=4.32,<5; python_version >= "3.11"',
    # tests/browser drive the machine's Chromium; they skip when it has none.
    *BROWSER,
]
TOOLS = ["ruff>=0.17,<0.18", "mypy>=1.8", "types-requests", "tox>=4"]

setup(
    name="kscarriers",
    version=VERSION,
    description=(
        "One interface over the intercept and tracking APIs of ZTO, YTO, STO and J&T, "
        "and a mock carrier server for CI and QA."
    ),
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="MIT",
    python_requires=">=3.9",
    packages=find_packages(include=["kscarriers", "kscarriers.*", "mockserver", "mockserver.*"]),
    package_data={
        "kscarriers": ["py.typed"],
        # The dashboard's templates and assets are served by the mock itself (no CDN in CI).
        "mockserver": ["*.json", "admin/ui/templates/dashboard/*.html", "admin/ui/static/*"],
    },
    # The SDK alone: what `pip install kscarriers` brings. The mock server is an extra.
    install_requires=SDK,
    extras_require={
        "mock": MOCK,
        # What a user needs to test their own code: kscarriers.testing with `responses`, and the
        # mock server with its pytest fixtures.
        "test": [*MOCK, *USER_TESTING],
        "address": ADDRESS,
        "browser": BROWSER,
        "docs": DOCS,
        # The `kscarriers` command line (click); the SDK itself does not need it.
        "cli": CLI,
        # The project's own development set: everything the suite, the linters, the type
        # checker and the docs build need (.ci/run installs exactly this).
        "dev": [*MOCK, *CLI, *USER_TESTING, *ADDRESS, *DOCS, *SUITE, *TOOLS],
    },
    entry_points={
        "kscarriers.carriers": BUILTIN_CARRIERS,
        "mockserver.carriers": MOCK_CARRIERS,
        "pytest11": ["kscarriers_mockserver = mockserver.pytest_plugin"],
        "console_scripts": [
            "kscarriers = kscarriers.cli:main",
            "kscarriers-mockserver = mockserver.__main__:main",
        ],
    },
    classifiers=[
        "License :: OSI Approved :: MIT License",
        "Programming Language :: Python :: 3",
        "Typing :: Typed",
    ],
)
