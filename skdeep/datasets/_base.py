"""Where downloaded data lives, and fetching a file once with its checksum."""

import hashlib
import os
import shutil
import tempfile
import urllib.request
from pathlib import Path


def get_data_home(data_home=None):
    """The folder that holds skdeep's data files.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to use. By default the environment variable
        ``SKDEEP_DATA_HOME``, else ``~/skdeep_data``.

    Returns
    -------
    data_home : str
        The folder, with ``~`` expanded (not created: a download creates
        it).

    Examples
    --------
    >>> from skdeep.datasets import get_data_home
    >>> get_data_home("/tmp/my_data")
    '/tmp/my_data'
    """
    if data_home is None:
        data_home = os.environ.get("SKDEEP_DATA_HOME", Path("~") / "skdeep_data")
    return str(Path(data_home).expanduser())


def sha256_of(path):
    """Hex SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def fetch_file(url, path, sha256):
    """Download ``url`` to ``path`` only if its SHA-256 matches.

    The download goes to a temporary file beside ``path`` and is renamed
    once checked, so an interrupted or corrupted download never leaves a
    file at ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with os.fdopen(handle, "wb") as file, urllib.request.urlopen(url) as response:
            shutil.copyfileobj(response, file)
        found = sha256_of(partial)
        if found != sha256:
            raise OSError(
                f"The file downloaded from {url} has SHA-256 {found}, expected "
                f"{sha256}: the download is incomplete or the file has changed."
            )
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return path
