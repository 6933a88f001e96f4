"""keep_freed_memory: glibc's thresholds raised once per process; an environment switch turns it off."""

from __future__ import annotations

import subprocess
import sys

CHECK = "from idphoto.pipeline.memory import keep_freed_memory as k; print(k(), k())"


def _run(env_value: str | None) -> str:
    import os

    env = dict(os.environ)
    env.pop("IDPHOTO_KEEP_HEAP", None)
    if env_value is not None:
        env["IDPHOTO_KEEP_HEAP"] = env_value
    return subprocess.run([sys.executable, "-c", CHECK], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_thresholds_are_raised_on_glibc():
    import platform

    expected = "True True" if platform.libc_ver()[0] == "glibc" else "False False"
    assert _run(None) == expected


def test_switched_off_by_the_environment():
    assert _run("0") == "False False"
