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
    install_requires=[
        "requests>=2.28",
        "tenacity>=9.0",
        "attrs>=23.1",
        "flask>=2.3",
        "waitress>=2.1",
        "flask-swagger-ui>=5",  # the packaged Swagger UI behind /__admin/docs
    ],
    extras_require={
        # django, fastapi and httpx (FastAPI's TestClient) only test the documented push receivers;
        # pytest-xdist proves the mockserver fixtures work under it.
        "test": [
            "pytest>=7.4",
            "pytest-xdist>=3.5",
            "responses>=0.23",
            "hypothesis>=6.80",
            "cpca>=0.5",
            "jsonschema>=4",
            "django>=4.2",
            "fastapi>=0.100",
            "httpx>=0.24",
            "playwright>=1.40",  # tests/browser drive Debian's chromium; skipped when there is none
        ],
        # Only the driver: playwright drives an installed chromium (executable_path), never its own.
        "browser": ["playwright>=1.40"],
        "address": ["cpca>=0.5"],
        "dev": ["ruff>=0.17,<0.18", "mypy>=1.8", "types-requests", "tox>=4"],
    },
    entry_points={
        "kscarriers.carriers": BUILTIN_CARRIERS,
        "mockserver.carriers": MOCK_CARRIERS,
        "pytest11": ["kscarriers_mockserver = mockserver.pytest_plugin"],
        "console_scripts": ["kscarriers-mockserver = mockserver.__main__:main"],
    },
    classifiers=[
        "License :: OSI Approved :: MIT License",
        "Programming Language :: Python :: 3",
        "Typing :: Typed",
    ],
)
