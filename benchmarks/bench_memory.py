"""Memory a fit needs beyond its data: skdeep against scikit-learn's MLP.

``DeepFFNRegressor((256, 256), batch_size=256)`` and ``MLPRegressor`` with
the same layers and batch train one epoch on 1,000,000 x 100 float32 rows
(381 MiB).  Each fit runs in a fresh process that builds the data, warms up
on a few rows (so imports and first-call allocations are not counted),
then fits; the script prints the growth of the peak resident set over what
the process held just before the fit (the target for skdeep: at most 200
MiB), and the peak of anonymous memory (memory not backed by a file).

The last rows fit skdeep on the same data as an ``np.memmap`` of a file: its
pages are the file's, read as minibatches are gathered, so the anonymous
peak stays near the network's own buffers however large the file is.  The
very last one proves it: the child process is put in a cgroup whose memory
limit (80 % of the data's size, at least 200 MiB) is smaller than the file,
which the kernel would answer by killing a process that loaded the data;
that fit reads the rows in order (``shuffle=False``), since in random order
each minibatch row would be a read from disk.
That row needs root and a cgroup v1 memory controller, else it says it was
skipped.

Run ``python benchmarks/bench_memory.py`` (about a minute) or ``--quick``.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import warnings

import numpy as np

MIB = 2**20


def status_kib(field):
    """A field of ``/proc/self/status`` (VmRSS, VmHWM, RssAnon) in KiB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


class AnonymousPeak:
    """Samples ``RssAnon`` every millisecond on a thread; keeps the largest."""

    def __enter__(self):
        self.peak, self._running = status_kib("RssAnon"), True
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while self._running:
            self.peak = max(self.peak, status_kib("RssAnon"))
            time.sleep(0.001)

    def __exit__(self, *exc):
        self._running = False
        self._thread.join()


def make_data(n_rows, n_features):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n_rows, n_features), dtype=np.float32)
    y = X[:, :5].sum(axis=1) + np.float32(0.1) * rng.standard_normal(
        n_rows, dtype=np.float32
    )
    return X, y


def make_model(library, shuffle=True):
    kwargs = dict(hidden_layer_sizes=(256, 256), batch_size=256, max_iter=1,
                  shuffle=shuffle)  # fmt: skip
    if library == "sklearn":
        from sklearn.neural_network import MLPRegressor

        return MLPRegressor(random_state=0, **kwargs)
    from skdeep import DeepFFNRegressor

    return DeepFFNRegressor(random_state=0, **kwargs)


def child(library, n_rows, n_features, memmap_dir, cgroup):
    """Fit once in this process; print the memory figures as JSON."""
    if cgroup:
        with open(os.path.join(cgroup, "cgroup.procs"), "w") as procs:
            procs.write(str(os.getpid()))  # from here on, under its limit
    if memmap_dir:
        shapes = {"X": (n_rows, n_features), "y": (n_rows,)}
        X, y = (np.memmap(os.path.join(memmap_dir, name), np.float32, "r", shape=shape)
                for name, shape in shapes.items())  # fmt: skip
    else:
        X, y = make_data(n_rows, n_features)
    warnings.simplefilter("ignore")  # one epoch never converges
    make_model(library).fit(np.array(X[:512]), y[:512])  # imports, first calls
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # resets the peak resident set (VmHWM) to now
    before, anon_before = status_kib("VmRSS"), status_kib("RssAnon")
    with AnonymousPeak() as anonymous:
        # beyond the memory allowed, rows in random order would each be a
        # read from disk: a file larger than memory is read in order
        model = make_model(library, shuffle=cgroup is None).fit(X, y)
    peak = status_kib("VmHWM")
    score = model.score(X[:20_000], y[:20_000])
    print(json.dumps({
        "rss_growth": (peak - before) / 1024,
        "anon_growth": (anonymous.peak - anon_before) / 1024,
        "r2": score,
    }))  # fmt: skip


def write_uncached(path, array):
    """Write ``array`` to ``path`` and drop the file from the page cache, so
    that the child reads it from disk (and its pages count against the
    child's memory limit, not this process's)."""
    array.tofile(path)
    with open(path, "rb") as file:
        os.fsync(file.fileno())
        os.posix_fadvise(file.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)


def memory_cgroup(limit_mib):
    """A new cgroup (v1) whose memory is limited to ``limit_mib``, or None
    where this process may not make one (not root, no cgroup v1)."""
    root = "/sys/fs/cgroup/memory"
    path = os.path.join(root, f"skdeep_bench_{os.getpid()}")
    try:
        os.mkdir(path)
        with open(os.path.join(path, "memory.limit_in_bytes"), "w") as limit:
            limit.write(str(limit_mib * MIB))
    except OSError:
        return None
    return path


def measure(library, n_rows, n_features, memmap=False, limit_mib=None):
    """The child's figures; None if the memory limit cannot be set here."""
    cgroup = memory_cgroup(limit_mib) if limit_mib else None
    if limit_mib and cgroup is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, __file__, "--child", library,
                   "--rows", str(n_rows), "--features", str(n_features)]  # fmt: skip
        if memmap:
            for name, array in zip("Xy", make_data(n_rows, n_features), strict=True):
                write_uncached(os.path.join(tmp, name), array)
            command += ["--memmap-dir", tmp]
        if cgroup:
            command += ["--cgroup", cgroup]
        try:
            out = subprocess.run(command, capture_output=True, text=True, check=True)
        finally:
            if cgroup:
                os.rmdir(cgroup)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(quick):
    n_rows, n_features = (20_000, 100) if quick else (1_000_000, 100)
    data_mib = n_rows * n_features * 4 / MIB
    print(f"One epoch of (256, 256), batch 256, on {n_rows:,} x {n_features} "
          f"float32 ({data_mib:.0f} MiB);")  # fmt: skip
    print("growth over what the process held just before fit.")
    print(f"{'fit':<28}{'peak RSS growth':>17}{'anonymous peak':>16}{'R^2':>8}")
    limit = max(200, round(0.8 * data_mib))  # less memory than the data
    rows = [("scikit-learn MLPRegressor", "sklearn", False, None),
            ("skdeep DeepFFNRegressor", "skdeep", False, None),
            ("skdeep, X as np.memmap", "skdeep", True, None),
            (f"  {limit} MiB allowed, in order", "skdeep", True, limit)]  # fmt: skip
    for label, library, memmap, limit_mib in rows:
        result = measure(library, n_rows, n_features, memmap, limit_mib)
        if result is None:
            print(f"{label:<28}skipped: no cgroup v1 memory controller to set a limit")
            continue
        print(f"{label:<28}{result['rss_growth']:>13.0f} MiB"
              f"{result['anon_growth']:>12.0f} MiB{result['r2']:>8.3f}")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run")
    hidden = argparse.SUPPRESS
    parser.add_argument("--child", choices=["skdeep", "sklearn"], help=hidden)
    parser.add_argument("--rows", type=int, help=hidden)
    parser.add_argument("--features", type=int, help=hidden)
    parser.add_argument("--memmap-dir", help=hidden)
    parser.add_argument("--cgroup", help=hidden)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.rows, args.features, args.memmap_dir, args.cgroup)
    else:
        main(args.quick)
