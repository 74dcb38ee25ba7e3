"""The package's Hugging Face Hub-compatible HTTP server on loopback, for the demo and the tests that publish repos
and download them back.

The real Hub is unreachable offline, and no installable server accepts uploads, so this module implements the part of
the Hub's HTTP API that ``huggingface_hub`` 2.x, ``datasets`` and ``transformers`` call:

* repos: ``POST /api/repos/create``, ``DELETE /api/repos/delete``, ``PUT /api/{type}s/{repo}/settings``,
  ``GET /api/whoami-v2``, ``POST /api/validate-yaml`` (README metadata);
* upload: ``POST /api/{type}s/{repo}/preupload/{rev}`` answers ``uploadMode`` like the Hub: ``"lfs"`` for paths
  that the repo's ``.gitattributes`` sends to LFS (``*.parquet``, ``*.safetensors``, ...), files over 10 MB and
  binary samples, ``"regular"`` (bytes inline, base64, in the commit) otherwise; LFS files go through the git-LFS
  batch API (``POST /[{type}s/]{repo}.git/info/lfs/objects/batch``, basic transfer: one ``PUT`` per object, then a
  verify ``POST``); ``POST /api/{type}s/{repo}/commit/{rev}`` takes the NDJSON commit (``header``, ``file``,
  ``lfsFile``, ``deletedFile``, ``deletedFolder``; a stale ``parentCommit`` gets 412). The Xet storage protocol is
  not implemented: :meth:`LocalHub.client_env` sets ``HF_HUB_DISABLE_XET=1`` so the client uses LFS;
* info: ``GET /api/{type}s/{repo}`` and ``.../revision/{rev}`` (with ``siblings``), ``.../tree/{rev}/{path}``
  (``recursive``, ``expand``, cursor pagination through a ``Link: <...>; rel="next"`` header),
  ``POST .../paths-info/{rev}``, ``GET .../refs``, ``GET .../commits/{rev}``, ``POST|DELETE .../branch/{name}``;
* download: ``GET|HEAD /[{type}s/]{repo}/resolve/{rev}/{path}`` with ``ETag`` (the git blob id), ``X-Repo-Commit``,
  ``Content-Length`` and byte ``Range`` requests (206 / 416).

Errors carry the Hub's ``X-Error-Code`` header (``RepoNotFound``, ``RevisionNotFound``, ``EntryNotFound``) so the
client raises its usual typed exceptions. Every request is recorded in :attr:`LocalHub.requests`; a request that no
route handles is answered 404 and also recorded in :attr:`LocalHub.unhandled` and printed to stderr, so a test that
fails because a client started calling a new endpoint says which one.

Storage is plain files under a folder: ``blobs/<sha256>`` holds every file content once, and
``repos/<type>/<namespace>/<name>.json`` holds a repo's branches and commits (each commit: parent, message, date
and the full tree ``path -> sha256``). Commit ids are SHA-1 hex strings like git's, though not git's objects.

Usage (the client reads ``HF_ENDPOINT`` at import, so clients run in a subprocess; the demo's publishing step does
this through :func:`imu_foundation.publishing.hub_round_trip`)::

    with LocalHub(work_dir / "hub") as hub:
        env = hub.client_env(work_dir / "home")
        subprocess.run([sys.executable, "-m", "imu_foundation.cli", "push", "model", "--repo-id", "org/name"], env=env)

``python -m imu_foundation.hub_server ROOT`` serves one by hand until Ctrl-C (then ``export HF_ENDPOINT=...``).
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import os
import re
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

REPO_TYPES = {"models": "model", "datasets": "dataset", "spaces": "space"}
URL_PREFIXES = {"model": "", "dataset": "datasets/", "space": "spaces/"}
DEFAULT_USER = "test-user"
# What the Hub's default .gitattributes sends to LFS (a subset).
LFS_PATTERNS = (
    "*.7z *.arrow *.bin *.bz2 *.ckpt *.gz *.h5 *.joblib *.lz4 *.mlmodel *.model *.msgpack *.npy *.npz *.onnx "
    "*.ot *.parquet *.pb *.pickle *.pkl *.pt *.pth *.rar *.safetensors *.tar *.tflite *.tgz *.wasm *.xz *.zip "
    "*.zst *tfevents*"
).split()
LFS_SIZE_BYTES = 10 * 1024 * 1024
_SHA1 = re.compile(r"^[0-9a-f]{40}$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$")


class HubError(Exception):
    """An error answered to the client: HTTP status, message and optional ``X-Error-Code``."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.code = status, message, code


def git_blob_id(content: bytes) -> str:
    """The git object id of a blob (what the Hub reports as a regular file's ``oid`` and ``ETag``)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def lfs_pointer(sha256: str, size: int) -> bytes:
    """The git-LFS pointer file that git stores in place of an LFS file's content."""
    return f"version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n".encode()


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


# ----------------------------------------------------------------------------------------------------------------------
# Storage
# ----------------------------------------------------------------------------------------------------------------------
class HubStorage:
    """Repos, branches, commits and content-addressed blobs stored under ``root`` (thread-safe)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        (self.root / "blobs").mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()

    # -- blobs
    def put_blob(self, content: bytes) -> dict[str, Any]:
        """Stores ``content``; returns the tree entry of a regular (non-LFS) file holding it."""
        sha256 = hashlib.sha256(content).hexdigest()
        path = self.root / "blobs" / sha256
        if not path.exists():
            tmp = path.with_suffix(f".tmp{threading.get_ident()}")
            tmp.write_bytes(content)
            os.replace(tmp, path)
        return {"sha256": sha256, "size": len(content), "oid": git_blob_id(content)}

    def lfs_entry(self, sha256: str) -> dict[str, Any]:
        """The tree entry of an LFS file whose content is the stored blob ``sha256``: its git oid is the pointer's."""
        size = self.blob_path(sha256).stat().st_size
        return {"sha256": sha256, "size": size, "oid": git_blob_id(lfs_pointer(sha256, size)), "lfs": True}

    def blob_path(self, sha256: str) -> Path:
        return self.root / "blobs" / sha256

    # -- repos
    def _repo_file(self, repo_type: str, repo_id: str) -> Path:
        namespace, name = repo_id.split("/")
        return self.root / "repos" / repo_type / namespace / f"{name}.json"

    def load(self, repo_type: str, repo_id: str) -> dict[str, Any]:
        path = self._repo_file(repo_type, repo_id)
        if not path.is_file():
            raise HubError(404, f"Repository {repo_id} ({repo_type}) not found.", "RepoNotFound")
        return json.loads(path.read_text())

    def save(self, repo_type: str, repo_id: str, repo: dict[str, Any]) -> None:
        path = self._repo_file(repo_type, repo_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(repo, indent=1, sort_keys=True))
        os.replace(tmp, path)

    def exists(self, repo_type: str, repo_id: str) -> bool:
        return self._repo_file(repo_type, repo_id).is_file()

    def delete(self, repo_type: str, repo_id: str) -> None:
        self.load(repo_type, repo_id)
        self._repo_file(repo_type, repo_id).unlink()

    def create(self, repo_type: str, repo_id: str, private: bool) -> dict[str, Any]:
        if self.exists(repo_type, repo_id):
            raise HubError(409, "You already created this repo", "RepoExists")
        # Like the Hub: a new repo has one commit holding a .gitattributes file.
        attributes = self.put_blob("".join(f"{p} filter=lfs diff=lfs merge=lfs -text\n" for p in LFS_PATTERNS).encode())
        repo = {"private": private, "created_at": _now(), "branches": {}, "commits": {}, "counter": 0}
        self.commit(repo, "main", {".gitattributes": attributes}, "initial commit", "")
        self.save(repo_type, repo_id, repo)
        return repo

    @staticmethod
    def commit(repo: dict[str, Any], branch: str, tree: dict[str, dict], title: str, description: str) -> str:
        """Records a commit of the full ``tree`` on ``branch``; returns its id."""
        parent = repo["branches"].get(branch)
        repo["counter"] += 1
        body = json.dumps([parent, tree, title, description, repo["counter"]], sort_keys=True).encode()
        oid = hashlib.sha1(body).hexdigest()
        repo["commits"][oid] = {
            "parent": parent,
            "title": title,
            "description": description,
            "date": _now(),
            "tree": tree,
        }
        repo["branches"][branch] = oid
        return oid

    @staticmethod
    def resolve_revision(repo: dict[str, Any], revision: str) -> str:
        """A branch name or a full commit id -> the commit id."""
        if revision in repo["branches"]:
            return repo["branches"][revision]
        if _SHA1.match(revision) and revision in repo["commits"]:
            return revision
        raise HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")

    @staticmethod
    def history(repo: dict[str, Any], oid: str) -> list[str]:
        """Commit ids from ``oid`` back to the first commit."""
        chain = []
        while oid is not None:
            chain.append(oid)
            oid = repo["commits"][oid]["parent"]
        return chain


# ----------------------------------------------------------------------------------------------------------------------
# Request handling
# ----------------------------------------------------------------------------------------------------------------------
class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as httpx expects; every answer sets Content-Length
    server: _Server

    # -- plumbing
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        if self.server.hub.verbose:
            super().log_message(format, *args)

    def _dispatch(self) -> None:
        hub = self.server.hub
        parsed = urlsplit(self.path)
        self.query = parse_qs(parsed.query, keep_blank_values=True)
        self.raw_path = parsed.path
        status = 500
        try:
            self.body = self._read_body()
            route = hub.match(self.command, parsed.path)
            if route is None:
                hub.record_unhandled(self.command, self.path)
                raise HubError(404, f"local hub: no route for {self.command} {parsed.path}")
            handler, groups = route
            status = handler(self, *groups) or 200
        except HubError as error:
            status = error.status
            self._send_error(error)
        except Exception as error:  # noqa: BLE001 - answered as 500 and logged, so the test sees why
            print(f"[local-hub] ERROR {self.command} {self.path}: {error!r}", file=sys.stderr)
            self._send_error(HubError(500, f"local hub internal error: {error!r}"))
        finally:
            hub.record(self.command, self.path, status)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _dispatch  # noqa: N815 - http.server's naming

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().strip().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def send_json(self, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> int:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        return status

    def _send_error(self, error: HubError) -> None:
        headers = {"X-Error-Message": error.message.encode("ascii", "replace").decode()}
        if error.code:
            headers["X-Error-Code"] = error.code
        self.send_json({"error": error.message}, error.status, headers)

    def json_body(self) -> Any:
        try:
            return json.loads(self.body or b"{}")
        except json.JSONDecodeError as error:
            raise HubError(400, f"request body is not JSON: {error}") from error

    def require_token(self) -> None:
        if not self.headers.get("Authorization", "").startswith("Bearer "):
            raise HubError(401, "Invalid credentials in Authorization header")

    def flag(self, name: str) -> bool:
        return (self.query.get(name, ["false"])[-1] or "true").lower() in ("1", "true")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    hub: LocalHub


def _repo_id(namespace: str, name: str) -> str:
    return f"{unquote(namespace)}/{unquote(name)}"


# ----------------------------------------------------------------------------------------------------------------------
# The hub
# ----------------------------------------------------------------------------------------------------------------------
class LocalHub:
    """A loopback Hub: ``start()`` serves on ``127.0.0.1`` at a free port; ``url`` is the ``HF_ENDPOINT`` to use.

    Args:
        root: folder for blobs and repo records (created; kept after ``stop()`` so a test can inspect it).
        tree_page_size: entries per page of a tree listing (the Hub uses 1000, and 50 with ``expand``); lower it to
            exercise the client's pagination.
        verbose: print every request to stderr.
    """

    def __init__(self, root: str | Path, tree_page_size: int = 1000, verbose: bool = False) -> None:
        self.storage = HubStorage(Path(root))
        self.tree_page_size = tree_page_size
        self.verbose = verbose
        self.requests: list[tuple[str, str, int]] = []
        self.unhandled: list[tuple[str, str]] = []
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._routes = self._build_routes()

    # -- lifecycle
    def start(self) -> LocalHub:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.hub = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="local-hub", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> LocalHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the local hub is not running; call start() first.")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def client_env(self, home: str | Path, token: str = "hf_local_test_token") -> dict[str, str]:
        """Environment for a subprocess whose ``huggingface_hub`` / ``datasets`` / ``transformers`` talk to this hub.

        Online mode, this endpoint, a dummy token, and caches under ``home`` so nothing is shared with the user's.
        """
        home = Path(home)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGINGFACE_"))}
        for key in ("TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
            env.pop(key, None)
        env.update(
            HF_ENDPOINT=self.url,
            HF_HUB_OFFLINE="0",
            HF_TOKEN=token,
            HF_HOME=str(home / "hf_home"),
            HF_DATASETS_CACHE=str(home / "datasets_cache"),
            HF_HUB_DISABLE_TELEMETRY="1",
            HF_HUB_DISABLE_XET="1",  # Xet storage is not implemented here; LFS is
            HF_HUB_DISABLE_PROGRESS_BARS="1",
            HF_HUB_ETAG_TIMEOUT="30",
            HF_HUB_DOWNLOAD_TIMEOUT="60",
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
            TOKENIZERS_PARALLELISM="false",
        )
        return env

    def run_client(
        self, code: str, home: str | Path, *, timeout: float = 300, cwd: str | Path | None = None
    ) -> subprocess.CompletedProcess:
        """Runs Python ``code`` in a fresh interpreter wired to this hub (see :meth:`client_env`).

        Raises:
            AssertionError: the code failed; the message holds its output and any request no route handled.
        """
        done = subprocess.run(
            [sys.executable, "-c", code],
            env=self.client_env(home),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(
                f"hub client failed ({done.returncode}); unhandled requests: {self.unhandled}\n"
                f"--- stdout\n{done.stdout[-5000:]}\n--- stderr\n{done.stderr[-8000:]}"
            )
        return done

    # -- request log
    def record(self, method: str, path: str, status: int) -> None:
        self.requests.append((method, path, status))

    def record_unhandled(self, method: str, path: str) -> None:
        self.unhandled.append((method, path))
        print(f"[local-hub] UNHANDLED {method} {path}", file=sys.stderr)

    # -- routing
    def match(self, method: str, path: str) -> tuple[Any, tuple[str, ...]] | None:
        for route_method, pattern, handler in self._routes:
            if method == route_method or (route_method == "GET" and method == "HEAD"):
                found = pattern.match(path)
                if found:
                    return handler, found.groups()
        return None

    def _build_routes(self) -> list[tuple[str, re.Pattern, Any]]:
        api = r"^/api/(models|datasets|spaces)/([^/]+)/([^/]+)"
        table = [
            ("POST", r"^/api/repos/create$", _create_repo),
            ("DELETE", r"^/api/repos/delete$", _delete_repo),
            ("GET", r"^/api/whoami-v2$", _whoami),
            ("POST", r"^/api/validate-yaml$", _validate_yaml),
            ("PUT", api + r"/settings$", _update_settings),
            ("GET", api + r"$", _repo_info),
            ("GET", api + r"/revision/(.+)$", _repo_info),
            ("GET", api + r"/tree/([^/]+)(?:/(.*))?$", _tree),
            ("POST", api + r"/paths-info/(.+)$", _paths_info),
            ("POST", api + r"/preupload/(.+)$", _preupload),
            ("POST", api + r"/commit/(.+)$", _commit),
            ("GET", api + r"/refs$", _refs),
            ("GET", api + r"/commits/(.+)$", _list_commits),
            ("POST", api + r"/branch/(.+)$", _create_branch),
            ("DELETE", api + r"/branch/(.+)$", _delete_branch),
            ("GET", r"^/(datasets/|spaces/)?([^/]+)/([^/]+)/resolve/([^/]+)/(.+)$", _resolve),
            ("POST", r"^/(datasets/|spaces/)?([^/]+)/([^/]+?)\.git/info/lfs/objects/batch$", _lfs_batch),
            ("PUT", r"^/lfs-objects/([0-9a-f]{64})$", _lfs_put),
            ("POST", r"^/lfs-objects/([0-9a-f]{64})/verify$", _lfs_verify),
        ]
        return [(method, re.compile(pattern), handler) for method, pattern, handler in table]


# ----------------------------------------------------------------------------------------------------------------------
# Route handlers: (request, *url groups) -> status
# ----------------------------------------------------------------------------------------------------------------------
def _storage(request: _Handler) -> HubStorage:
    return request.server.hub.storage


def _readable_repo(request: _Handler, repo_type: str, repo_id: str) -> dict[str, Any]:
    repo = _storage(request).load(repo_type, repo_id)
    if repo["private"] and not request.headers.get("Authorization"):
        raise HubError(401, f"Repository {repo_id} not found (private: send a token).", "RepoNotFound")
    return repo


def _create_repo(request: _Handler) -> int:
    request.require_token()
    payload = request.json_body()
    name, namespace = payload.get("name"), payload.get("organization") or DEFAULT_USER
    repo_type = payload.get("type") or "model"
    if repo_type not in URL_PREFIXES or not name or not _NAME.match(name) or not _NAME.match(namespace):
        raise HubError(400, f"invalid repo name or type: {namespace}/{name} ({repo_type})")
    private = payload.get("private", payload.get("visibility") == "private") or False
    repo_id = f"{namespace}/{name}"
    url = f"{request.server.hub.url}/{URL_PREFIXES[repo_type]}{repo_id}"
    with _storage(request).lock:
        if _storage(request).exists(repo_type, repo_id):
            # Like the Hub, the 409 body carries the repo's url: create_repo(exist_ok=True) reads it.
            headers = {"X-Error-Code": "RepoExists", "X-Error-Message": "You already created this repo"}
            return request.send_json({"error": "You already created this repo", "url": url}, 409, headers)
        _storage(request).create(repo_type, repo_id, bool(private))
    return request.send_json({"url": url, "name": repo_id, "id": repo_id})


def _delete_repo(request: _Handler) -> int:
    request.require_token()
    payload = request.json_body()
    repo_id = f"{payload.get('organization') or DEFAULT_USER}/{payload.get('name')}"
    with _storage(request).lock:
        _storage(request).delete(payload.get("type") or "model", repo_id)
    return request.send_json({})


def _whoami(request: _Handler) -> int:
    request.require_token()
    return request.send_json(
        {
            "type": "user",
            "name": DEFAULT_USER,
            "fullname": "Local Test User",
            "orgs": [],
            "auth": {"type": "access_token", "accessToken": {"displayName": "local", "role": "write"}},
        }
    )


def _validate_yaml(request: _Handler) -> int:
    """Checks a README's YAML front matter parses to a mapping, as the Hub does before a commit that touches it."""
    content = request.json_body().get("content", "")
    found = re.match(r"^---\s*\n(.*?)\n---\s*(\n|$)", content, flags=re.S)
    errors = []
    if found:
        try:
            import yaml

            if not isinstance(yaml.safe_load(found.group(1)) or {}, dict):
                errors.append({"message": "metadata must be a YAML mapping"})
        except ImportError:
            pass
        except Exception as error:  # noqa: BLE001 - reported to the client like the Hub does
            errors.append({"message": f"invalid YAML: {error}"})
    return request.send_json({"errors": errors, "warnings": []}, 400 if errors else 200)


def _update_settings(request: _Handler, kind: str, namespace: str, name: str) -> int:
    request.require_token()
    repo_type, repo_id = REPO_TYPES[kind], _repo_id(namespace, name)
    with _storage(request).lock:
        repo = _storage(request).load(repo_type, repo_id)
        payload = request.json_body()
        if "private" in payload or "visibility" in payload:
            repo["private"] = bool(payload.get("private", payload.get("visibility") == "private"))
        _storage(request).save(repo_type, repo_id, repo)
    return request.send_json({"private": repo["private"]})


def _card_data(storage: HubStorage, tree: dict[str, dict]) -> dict[str, Any] | None:
    """The YAML front matter of README.md, as the Hub reports it in ``cardData``."""
    if "README.md" not in tree:
        return None
    text = storage.blob_path(tree["README.md"]["sha256"]).read_text(encoding="utf-8", errors="replace")
    found = re.match(r"^---\s*\n(.*?)\n---\s*\n", text, flags=re.S)
    if not found:
        return None
    try:
        import yaml

        data = yaml.safe_load(found.group(1))
    except Exception:  # noqa: BLE001 - the Hub also tolerates broken metadata
        return None
    return data if isinstance(data, dict) else None


def _repo_info(request: _Handler, kind: str, namespace: str, name: str, revision: str = "main") -> int:
    repo_type, repo_id = REPO_TYPES[kind], _repo_id(namespace, name)
    storage = _storage(request)
    with storage.lock:
        repo = _readable_repo(request, repo_type, repo_id)
        oid = storage.resolve_revision(repo, unquote(revision))
    commit = repo["commits"][oid]
    tree = commit["tree"]
    info = {
        "_id": hashlib.sha1(f"{repo_type}/{repo_id}".encode()).hexdigest()[:24],
        "id": repo_id,
        "author": repo_id.split("/")[0],
        "sha": oid,
        "createdAt": repo["created_at"],
        "lastModified": commit["date"],
        "private": repo["private"],
        "gated": False,
        "disabled": False,
        "downloads": 0,
        "likes": 0,
        "tags": [],
        "siblings": [_sibling(path, entry) for path, entry in tree.items()],
        "usedStorage": sum(entry["size"] for entry in tree.values()),
    }
    card = _card_data(storage, tree)
    if card is not None:
        info["cardData"] = card
    if repo_type == "model":
        info["modelId"] = repo_id
    return request.send_json(info)


def _lfs_info(entry: dict[str, Any]) -> dict[str, Any]:
    pointer_size = len(lfs_pointer(entry["sha256"], entry["size"]))
    return {"oid": entry["sha256"], "size": entry["size"], "pointerSize": pointer_size}


def _sibling(path: str, entry: dict[str, Any]) -> dict[str, Any]:
    sibling = {"rfilename": path, "size": entry["size"], "blobId": entry["oid"]}
    if entry.get("lfs"):
        lfs = _lfs_info(entry)
        sibling["lfs"] = {"size": lfs["size"], "sha256": lfs["oid"], "pointerSize": lfs["pointerSize"]}
    return sibling


def _folder_oid(tree: dict[str, dict], folder: str) -> str:
    inside = sorted((path, entry["oid"]) for path, entry in tree.items() if path.startswith(folder + "/"))
    return hashlib.sha1(json.dumps(inside).encode()).hexdigest()


def _folders(tree: dict[str, dict]) -> set[str]:
    folders = set()
    for path in tree:
        parts = path.split("/")[:-1]
        folders.update("/".join(parts[: i + 1]) for i in range(len(parts)))
    return folders


def _last_commit(repo: dict[str, Any], head: str, path: str, is_folder: bool) -> dict[str, str]:
    """The latest commit (from ``head`` back) that changed ``path`` (or anything inside the folder ``path``)."""

    def state(oid: str | None) -> Any:
        if oid is None:
            return None
        tree = repo["commits"][oid]["tree"]
        if is_folder:
            return sorted((p, e["oid"]) for p, e in tree.items() if p.startswith(path + "/"))
        return tree.get(path, {}).get("oid")

    for oid in HubStorage.history(repo, head):
        if state(oid) != state(repo["commits"][oid]["parent"]):
            commit = repo["commits"][oid]
            return {"id": oid, "title": commit["title"], "date": commit["date"]}
    commit = repo["commits"][head]
    return {"id": head, "title": commit["title"], "date": commit["date"]}


def _entries(
    repo: dict[str, Any], head: str, paths: list[str], folders: set[str], expand: bool
) -> list[dict[str, Any]]:
    tree = repo["commits"][head]["tree"]
    entries = []
    for path in paths:
        if path in tree:
            entry = {"type": "file", "oid": tree[path]["oid"], "size": tree[path]["size"], "path": path}
            if tree[path].get("lfs"):
                entry["lfs"] = _lfs_info(tree[path])
        elif path in folders:
            entry = {"type": "directory", "oid": _folder_oid(tree, path), "size": 0, "path": path}
        else:
            continue
        if expand:
            entry["lastCommit"] = _last_commit(repo, head, path, entry["type"] == "directory")
        entries.append(entry)
    return entries


def _tree(request: _Handler, kind: str, namespace: str, name: str, revision: str, path: str | None) -> int:
    repo_type, repo_id = REPO_TYPES[kind], _repo_id(namespace, name)
    storage = _storage(request)
    with storage.lock:
        repo = _readable_repo(request, repo_type, repo_id)
        head = storage.resolve_revision(repo, unquote(revision))
    tree = repo["commits"][head]["tree"]
    folder = unquote(path or "").strip("/")
    folders = _folders(tree)
    if folder and folder not in folders:
        raise HubError(404, f"{folder} does not exist on {revision}", "EntryNotFound")
    prefix = folder + "/" if folder else ""
    recursive, expand = request.flag("recursive"), request.flag("expand")
    below = [p for p in sorted(set(tree) | folders) if p.startswith(prefix)]
    if not recursive:
        below = [p for p in below if "/" not in p[len(prefix) :]]
    # Folders first, then files, like the Hub.
    below.sort(key=lambda p: (p not in folders, p))
    page_size = min(request.server.hub.tree_page_size, 50 if expand else 1000)
    start = int(request.query.get("cursor", ["0"])[-1] or 0)
    page = below[start : start + page_size]
    headers = {}
    if start + page_size < len(below):
        query = f"recursive={str(recursive).lower()}&expand={str(expand).lower()}&cursor={start + page_size}"
        headers["Link"] = f'<{request.server.hub.url}{request.raw_path}?{query}>; rel="next"'
    return request.send_json(_entries(repo, head, page, folders, expand), headers=headers)


def _paths_info(request: _Handler, kind: str, namespace: str, name: str, revision: str) -> int:
    repo_type, repo_id = REPO_TYPES[kind], _repo_id(namespace, name)
    storage = _storage(request)
    with storage.lock:
        repo = _readable_repo(request, repo_type, repo_id)
        head = storage.resolve_revision(repo, unquote(revision))
    if request.headers.get("Content-Type", "").startswith("application/json"):
        payload = request.json_body()
        paths, expand = payload.get("paths", []), bool(payload.get("expand", False))
    else:
        form = parse_qs(request.body.decode(), keep_blank_values=True)
        paths, expand = form.get("paths", []), form.get("expand", ["false"])[-1].lower() in ("1", "true")
    paths = [p.strip("/") for p in (paths if isinstance(paths, list) else [paths])]
    folders = _folders(repo["commits"][head]["tree"])
    return request.send_json(_entries(repo, head, paths, folders, expand))


def _lfs_patterns(storage: HubStorage, tree: dict[str, dict]) -> list[str]:
    if ".gitattributes" not in tree:
        return []
    lines = storage.blob_path(tree[".gitattributes"]["sha256"]).read_text(errors="replace").splitlines()
    return [line.split()[0] for line in lines if "filter=lfs" in line and line.split()]


def _upload_mode(path: str, size: int, sample: bytes, patterns: list[str]) -> str:
    """The Hub's rule, simplified: LFS for .gitattributes patterns, big files and binary content."""
    name = path.split("/")[-1]
    if any(fnmatch.fnmatch(name, pattern) or fnmatch.fnmatch(path, pattern) for pattern in patterns):
        return "lfs"
    return "lfs" if size > LFS_SIZE_BYTES or b"\0" in sample else "regular"


def _preupload(request: _Handler, kind: str, namespace: str, name: str, revision: str) -> int:
    request.require_token()
    repo_type, repo_id = REPO_TYPES[kind], _repo_id(namespace, name)
    storage = _storage(request)
    with storage.lock:
        repo = storage.load(repo_type, repo_id)
        head = storage.resolve_revision(repo, unquote(revision))
    tree = repo["commits"][head]["tree"]
    patterns = _lfs_patterns(storage, tree)
    files = []
    for item in request.json_body().get("files", []):
        mode = _upload_mode(item["path"], int(item.get("size", 0)), base64.b64decode(item.get("sample", "")), patterns)
        existing = tree.get(item["path"])
        # The client skips files whose remote oid equals its local one: sha256 for LFS, git blob id otherwise.
        remote_oid = None if existing is None else existing["sha256"] if mode == "lfs" else existing["oid"]
        files.append({"path": item["path"], "uploadMode": mode, "shouldIgnore": False, "oid": remote_oid})
    return request.send_json({"files": files, "commitOid": head})


def _lfs_batch(request: _Handler, prefix: str | None, namespace: str, name: str) -> int:
    """git-LFS batch API, basic transfer: an upload and a verify action for each object not stored yet."""
    request.require_token()
    repo_type, repo_id = {None: "model", "datasets/": "dataset", "spaces/": "space"}[prefix], _repo_id(namespace, name)
    storage = _storage(request)
    storage.load(repo_type, repo_id)
    payload = request.json_body()
    if payload.get("operation") != "upload":
        raise HubError(400, f"local hub: LFS batch supports operation 'upload' only, got {payload.get('operation')!r}")
    objects = []
    for item in payload.get("objects", []):
        oid, size = str(item.get("oid", "")), int(item.get("size", 0))
        answer: dict[str, Any] = {"oid": oid, "size": size}
        if not re.fullmatch(r"[0-9a-f]{64}", oid):
            answer["error"] = {"code": 422, "message": f"invalid sha256 oid {oid!r}"}
        elif not storage.blob_path(oid).is_file():
            base = f"{request.server.hub.url}/lfs-objects/{oid}"
            answer["actions"] = {
                "upload": {"href": f"{base}?size={size}", "header": {}},
                "verify": {"href": f"{base}/verify", "header": {}},
            }
        objects.append(answer)
    return request.send_json({"transfer": "basic", "objects": objects}, headers={"Content-Type": "application/json"})


def _lfs_put(request: _Handler, oid: str) -> int:
    content = request.body
    if hashlib.sha256(content).hexdigest() != oid:
        raise HubError(400, f"LFS upload of {oid}: the content's sha256 is {hashlib.sha256(content).hexdigest()}")
    _storage(request).put_blob(content)
    return request.send_json({})


def _lfs_verify(request: _Handler, oid: str) -> int:
    request.require_token()
    blob = _storage(request).blob_path(oid)
    size = request.json_body().get("size")
    if not blob.is_file() or (size is not None and blob.stat().st_size != int(size)):
        raise HubError(422, f"LFS object {oid} is missing or has the wrong size")
    return request.send_json({})


def _commit(request: _Handler, kind: str, namespace: str, name: str, revision: str) -> int:
    request.require_token()
    if request.flag("create_pr"):
        request.server.hub.record_unhandled(request.command, request.path)
        raise HubError(501, "local hub: create_pr is not supported")
    repo_type, repo_id = REPO_TYPES[kind], _repo_id(namespace, name)
    storage = _storage(request)
    branch = unquote(revision)
    lines = [json.loads(line) for line in request.body.splitlines() if line.strip()]
    if not lines or lines[0].get("key") != "header":
        raise HubError(400, "commit payload must start with a header line")
    header = lines[0]["value"]
    with storage.lock:
        repo = storage.load(repo_type, repo_id)
        if branch not in repo["branches"]:
            raise HubError(404, f"Invalid rev id: {branch} (commits go to a branch)", "RevisionNotFound")
        head = repo["branches"][branch]
        parent = header.get("parentCommit")
        if parent and parent != head:
            raise HubError(412, f"A commit has happened since. Please refresh and try again (head is {head}).")
        tree = dict(repo["commits"][head]["tree"])
        for line in lines[1:]:
            _apply_operation(storage, tree, line["key"], line["value"])
        oid = storage.commit(repo, branch, tree, header.get("summary", ""), header.get("description", ""))
        storage.save(repo_type, repo_id, repo)
    url = f"{request.server.hub.url}/{URL_PREFIXES[repo_type]}{repo_id}/commit/{oid}"
    return request.send_json({"success": True, "commitOid": oid, "commitUrl": url, "pullRequestUrl": None})


def _apply_operation(storage: HubStorage, tree: dict[str, dict], key: str, value: dict[str, Any]) -> None:
    path = value.get("path", "").strip("/")
    if not path or any(part in ("", ".", "..") for part in path.split("/")):
        raise HubError(400, f"invalid path in commit: {value.get('path')!r}")
    if key == "file":
        if value.get("encoding", "base64") != "base64":
            raise HubError(400, f"unsupported file encoding {value.get('encoding')!r}")
        tree[path] = storage.put_blob(base64.b64decode(value["content"]))
    elif key == "lfsFile":
        sha256 = value.get("oid", "")
        if not re.fullmatch(r"[0-9a-f]{64}", sha256) or not storage.blob_path(sha256).is_file():
            raise HubError(422, f"LFS object {sha256} of {path} was never uploaded (see the LFS batch API)")
        tree[path] = storage.lfs_entry(sha256)
    elif key == "deletedFile":
        if path not in tree:
            raise HubError(404, f"A file with this name doesn't exist: {path}", "EntryNotFound")
        del tree[path]
    elif key == "deletedFolder":
        inside = [p for p in tree if p.startswith(path + "/")]
        if not inside:
            raise HubError(404, f"A folder with this name doesn't exist: {path}", "EntryNotFound")
        for p in inside:
            del tree[p]
    else:
        raise HubError(400, f"unsupported commit operation {key!r}")


def _refs(request: _Handler, kind: str, namespace: str, name: str) -> int:
    repo = _readable_repo(request, REPO_TYPES[kind], _repo_id(namespace, name))
    branches = [{"name": b, "ref": f"refs/heads/{b}", "targetCommit": oid} for b, oid in repo["branches"].items()]
    return request.send_json({"branches": branches, "converts": [], "tags": []})


def _list_commits(request: _Handler, kind: str, namespace: str, name: str, revision: str) -> int:
    storage = _storage(request)
    repo = _readable_repo(request, REPO_TYPES[kind], _repo_id(namespace, name))
    head = storage.resolve_revision(repo, unquote(revision))
    commits = [
        {
            "id": oid,
            "title": repo["commits"][oid]["title"],
            "message": repo["commits"][oid]["description"],
            "authors": [{"user": DEFAULT_USER}],
            "date": repo["commits"][oid]["date"],
        }
        for oid in storage.history(repo, head)
    ]
    return request.send_json(commits)


def _create_branch(request: _Handler, kind: str, namespace: str, name: str, branch: str) -> int:
    request.require_token()
    repo_type, repo_id, branch = REPO_TYPES[kind], _repo_id(namespace, name), unquote(branch)
    storage = _storage(request)
    with storage.lock:
        repo = storage.load(repo_type, repo_id)
        if branch in repo["branches"]:
            raise HubError(409, f"Reference already exists: refs/heads/{branch}")
        start = (request.json_body() or {}).get("startingPoint") or "main"
        repo["branches"][branch] = storage.resolve_revision(repo, start)
        storage.save(repo_type, repo_id, repo)
    return request.send_json({})


def _delete_branch(request: _Handler, kind: str, namespace: str, name: str, branch: str) -> int:
    request.require_token()
    repo_type, repo_id, branch = REPO_TYPES[kind], _repo_id(namespace, name), unquote(branch)
    storage = _storage(request)
    with storage.lock:
        repo = storage.load(repo_type, repo_id)
        if branch not in repo["branches"] or branch == "main":
            raise HubError(404, f"Invalid rev id: {branch}", "RevisionNotFound")
        del repo["branches"][branch]
        storage.save(repo_type, repo_id, repo)
    return request.send_json({})


def _resolve(request: _Handler, prefix: str | None, namespace: str, name: str, revision: str, path: str) -> int:
    repo_type = {None: "model", "datasets/": "dataset", "spaces/": "space"}[prefix]
    repo_id = _repo_id(namespace, name)
    storage = _storage(request)
    with storage.lock:
        repo = _readable_repo(request, repo_type, repo_id)
        head = storage.resolve_revision(repo, unquote(revision))
    path = unquote(path)
    entry = repo["commits"][head]["tree"].get(path)
    if entry is None:
        raise HubError(404, f"Entry not found: {path} at {revision}", "EntryNotFound")
    size = entry["size"]
    start, end = 0, size - 1
    status = 200
    wanted = request.headers.get("Range")
    if wanted:
        start, end = _byte_range(wanted, size)
        status = 206
    request.send_response(status)
    request.send_header("Content-Type", "application/octet-stream")
    request.send_header("Content-Length", str(max(0, end - start + 1)))
    request.send_header("Accept-Ranges", "bytes")
    # Like the Hub: the ETag of an LFS file is its sha256, of a regular file its git blob id.
    request.send_header("ETag", f'"{entry["sha256"] if entry.get("lfs") else entry["oid"]}"')
    request.send_header("X-Repo-Commit", head)
    request.send_header("Content-Disposition", f'inline; filename="{quote(path.split("/")[-1])}"')
    if status == 206:
        request.send_header("Content-Range", f"bytes {start}-{end}/{size}")
    request.end_headers()
    if request.command != "HEAD" and end >= start:
        with storage.blob_path(entry["sha256"]).open("rb") as handle:
            handle.seek(start)
            remaining = end - start + 1
            while remaining > 0:
                chunk = handle.read(min(remaining, 1 << 20))
                if not chunk:
                    break
                request.wfile.write(chunk)
                remaining -= len(chunk)
    return status


def _byte_range(header: str, size: int) -> tuple[int, int]:
    """``bytes=a-b`` / ``bytes=a-`` / ``bytes=-n`` -> inclusive ``(start, end)``; 416 when unsatisfiable."""
    found = re.fullmatch(r"bytes=(\d*)-(\d*)", header.strip())
    if not found or found.groups() == ("", ""):
        raise HubError(416, f"unsupported Range header {header!r} (one byte range only)")
    first, last = found.groups()
    if first == "":
        start, end = max(0, size - int(last)), size - 1
    else:
        start, end = int(first), min(int(last), size - 1) if last else size - 1
    if start >= size or start > end:
        raise HubError(416, f"Range {header!r} is outside the file of {size} bytes")
    return start, end


def main() -> None:
    """``python -m imu_foundation.hub_server [ROOT]``: serve a local hub by hand (then ``export HF_ENDPOINT=...``)."""
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "local_hub")
    hub = LocalHub(root, verbose=True).start()
    print(f"local hub at {hub.url} storing under {root}; HF_HUB_DISABLE_XET=1 for uploads; Ctrl-C to stop", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        hub.stop()


if __name__ == "__main__":
    main()
