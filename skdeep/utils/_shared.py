"""Arrays that parallel workers share: memory-mapped once, not sent with each task.

joblib memory-maps a large array it sends to worker processes by itself, into
a temporary folder of each ``Parallel`` call that it deletes as the call
ends; but a worker may still hold the map of the last task when its result
has come back, and the deletion then waits 0.1 s before trying again, at the
end of about every other call (measured with joblib 1.6: 8 ensemble members
on 20,000 x 20 rows, a call of about a second). An array that is already
memory-mapped from a file is sent as a reference to that file, and its folder
is ours to delete, which needs no wait.
"""

import os
import shutil
import tempfile
from contextlib import contextmanager

import joblib
import numpy as np
import scipy.sparse as sp

# joblib's own threshold (``Parallel``'s ``max_nbytes="1M"``): smaller data
# is pickled with each task, at little cost.
MIN_SHARED_BYTES = 2**20
# Where joblib puts its memory maps on Linux: memory, not disk.
SHARED_MEMORY = "/dev/shm"


@contextmanager
def shared_with_workers(n_jobs, data):
    """``data`` as read-only memory maps of temporary files, in the block.

    Parameters
    ----------
    n_jobs : int or None
        The ``n_jobs`` of the ``Parallel`` call the block makes. With one
        job (after joblib's active backend has its say), or less than 1 MiB
        to share, ``data`` comes back as it is.
    data : tuple
        Arrays (dense or sparse), None, and lists of them. Arrays that are
        memory-mapped from a file already (an ``np.memmap``, or a view of
        one) are shared as they are, never copied.

    Yields
    ------
    tuple
        ``data``, its arrays memory-mapped (object arrays stay in memory).
        The files are deleted when the block ends: nothing may keep them.

    Examples
    --------
    >>> import numpy as np
    >>> X = np.zeros((200_000, 2))
    >>> with shared_with_workers(2, (X, None)) as (shared, nothing):
    ...     print(type(shared).__name__, shared.flags.writeable, nothing)
    memmap False None
    """
    to_share = [
        i
        for i, item in enumerate(data)
        if item is not None and not _memory_mapped(item)
    ]
    n_bytes = sum(_n_bytes(data[i]) for i in to_share)
    if joblib.effective_n_jobs(n_jobs) == 1 or n_bytes < MIN_SHARED_BYTES:
        yield data
        return
    with tempfile.TemporaryDirectory(
        prefix="skdeep_shared_",
        dir=_temp_folder(n_bytes),
        ignore_cleanup_errors=True,  # a map still open on Windows
    ) as folder:
        shared = list(data)
        for i in to_share:
            path = os.path.join(folder, f"{i}.pkl")
            joblib.dump(data[i], path)
            shared[i] = joblib.load(path, mmap_mode="r")
        yield tuple(shared)


def _memory_mapped(item):
    """Whether ``item`` is an array memory-mapped from a file (or a view of one)."""
    while isinstance(item, np.ndarray):
        if isinstance(item, np.memmap) and item.filename is not None:
            return True
        item = item.base
    return False


def _n_bytes(data):
    if isinstance(data, (tuple, list)):
        return sum(_n_bytes(each) for each in data)
    if sp.issparse(data):
        return data.data.nbytes + getattr(data, "indices", np.empty(0)).nbytes
    return getattr(data, "nbytes", 0)


def _temp_folder(n_bytes):
    """joblib's folder for memory maps: ``JOBLIB_TEMP_FOLDER`` if set, else
    shared memory with room to spare, else the system's temporary folder."""
    folder = os.environ.get("JOBLIB_TEMP_FOLDER")
    if folder:
        return folder
    if os.path.isdir(SHARED_MEMORY) and os.access(SHARED_MEMORY, os.W_OK):
        if shutil.disk_usage(SHARED_MEMORY).free > 2 * n_bytes:
            return SHARED_MEMORY
    return None
