"""Where accepted attachment bytes are kept.

A store has three methods, and the domain (``attachments.accept``) only uses
those: ``put(data) -> key``, ``get(key) -> bytes``, ``delete(key)``. The key
is opaque to callers; it is what the requests database records.

``LocalStorage`` keeps each file on the local disk, under ``EP_ATTACHMENTS_DIR``
(default ``<EP_DATA_DIR>/attachments``). Object storage (S3-compatible, for
several service instances on several hosts) would be another class with the
same three methods, chosen in ``from_env``; nothing else would change.

Keys are random (uuid4, 32 hex digits), never derived from the user's file
name, and are checked strictly before any path is built: no path traversal.
"""
import os
import re
import tempfile
import uuid
from pathlib import Path

from nameko.extensions import DependencyProvider

from services.requests import settings

KEY_PATTERN = re.compile(r"[0-9a-f]{32}")


class InvalidKey(ValueError):
    """Not a key this store could have produced (wrong format, path separators...)."""


def check_key(key) -> str:
    if not isinstance(key, str) or not KEY_PATTERN.fullmatch(key):
        raise InvalidKey(f"clé de stockage invalide : {key!r}")
    return key


class LocalStorage:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def __repr__(self):
        return f"LocalStorage({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        key = check_key(key)
        return self.root / key[:2] / key   # 256 subfolders, so no folder grows huge

    def put(self, data: bytes) -> str:
        key = uuid.uuid4().hex
        path = self._path(key)
        path.parent.mkdir(exist_ok=True, mode=0o700)
        # Written under a temporary name then renamed: a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")   # created 0600
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise
        _fsync_dir(path.parent)
        return key

    def get(self, key: str) -> bytes:
        """The bytes stored under ``key``; ``FileNotFoundError`` when there are none."""
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        """Removes the file; deleting a missing key is not an error."""
        self._path(key).unlink(missing_ok=True)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def from_env() -> LocalStorage:
    return LocalStorage(settings.attachments_dir())


class Storage(DependencyProvider):
    """Injects the attachment store configured from the environment."""

    def setup(self):
        self.storage = from_env()

    def get_dependency(self, worker_ctx):
        return self.storage
