"""Atomic output for the plot scripts: write to a temporary file in the
target's directory, then os.replace() it over the target.

An interrupted or failed script (Ctrl-C, a matplotlib error, a full disk)
leaves the target as it was (absent, or the previous complete file), never a
truncated PNG or CSV, and leaves no temporary file behind. The temporary file
sits in the same directory so the rename stays on one file system (atomic on
POSIX); it is named ".NAME.tmp-XXXX" so a glob for the target never matches it.
"""
import contextlib
import os
import tempfile


def _mode_for_new_file():
    # mkstemp creates 0600 files; give the result the usual 0666 & ~umask.
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def replacing(path, mode="w", **open_kwargs):
    """Opens a temporary file beside `path`; on a normal exit from the
    `with` block it is flushed, synced and renamed to `path`; on an
    exception it is removed and `path` is untouched."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".tmp-", dir=directory)
    try:
        with os.fdopen(fd, mode, **open_kwargs) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _mode_for_new_file())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(tmp)
        raise


def save_figure(fig, path, **savefig_kwargs):
    """fig.savefig(path, ...), atomically. The format comes from the
    extension of `path` (the temporary name has none), PNG without one."""
    fmt = os.path.splitext(path)[1].lstrip(".").lower() or "png"
    with replacing(path, "wb") as f:
        fig.savefig(f, format=fmt, **savefig_kwargs)
