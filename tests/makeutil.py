"""Running make from the tests as a user would: in the project, with none of the make variables
(or an outer make's flags) leaking in from the environment of `make test`."""

import os
import subprocess

from helpers import config
from helpers.run import params

UNSET = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "SOURCE_DATE_EPOCH", *(v.name for v in params.VARIABLES)}


def make_env(**extra: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if k not in UNSET}, **extra}


def make(*args: str, timeout: float | None = None, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", *args], cwd=config.PROJECT_ROOT, capture_output=True, text=True, env=make_env(**env), timeout=timeout
    )
