"""A real Neo4j 5 server on this machine without Docker, through `tools/neo4j/serve` (tests, benchmarks).

The launcher fetches the published Neo4j jars with Maven on first use; this module starts it on a free
loopback port, waits for its `ready bolt://…` line and stops it with SIGTERM (a clean shutdown).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

SERVE = Path(__file__).resolve().parents[2] / "tools" / "neo4j" / "serve"
FIRST_START_SECONDS = 900  # the first start downloads about 150 MB of jars


def unavailable() -> str | None:
    """Why the launcher cannot run here, or None when it can."""
    if not SERVE.exists():
        return f"{SERVE} is missing"
    missing = [tool for tool in ("java", "mvn") if shutil.which(tool) is None]
    if missing:
        return f"the local Neo4j launcher needs {' and '.join(missing)} (OpenJDK 17 and Maven)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LocalNeo4j:
    uri: str
    user: str
    password: str
    data: Path
    log: Path
    process: subprocess.Popen

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM (the launcher shuts Neo4j down cleanly), SIGKILL if it does not finish in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def __enter__(self) -> LocalNeo4j:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(data: Path, *, port: int | None = None, password: str | None = None, heap: str | None = None,
          pagecache: str | None = None, conf: dict[str, str] | None = None,
          timeout: float = FIRST_START_SECONDS) -> LocalNeo4j:
    """Start `tools/neo4j/serve` on `data` and return once it accepts Bolt connections. The server stops
    when this process ends, even without `stop()`."""
    reason = unavailable()
    if reason:
        raise RuntimeError(reason)
    data.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    password = password or secrets.token_urlsafe(12)
    secret = data / ".password"  # a file, not an argument: the process list shows arguments to everyone
    secret.touch(mode=0o600)
    secret.write_text(password)
    args = [str(SERVE), "--port", str(port), "--data", str(data), "--password-file", str(secret),
            "--watch-pid", str(os.getpid())]
    if heap:
        args += ["--heap", heap]
    if pagecache:
        args += ["--pagecache", pagecache]
    for name, value in (conf or {}).items():
        args += ["--conf", f"{name}={value}"]
    log = data / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + timeout
    ready = f"ready bolt://127.0.0.1:{port}"
    while True:
        text = log.read_text(errors="replace")
        if ready in text:
            return LocalNeo4j(f"bolt://127.0.0.1:{port}", "neo4j", password, data, log, process)
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            raise RuntimeError(f"the local Neo4j did not start (exit {process.returncode}); its output:\n"
                               + text[-4000:])
        time.sleep(0.2)
