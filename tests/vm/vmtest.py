# SPDX-License-Identifier: GPL-2.0-only
"""What every Python guest test uses; tests/vm/vmtest.sh is the same for shell tests.

    from vmtest import check, fail, note, require

Not a test itself (not executable, not named t_*). Lines start with the test's
name (its file name).
"""

import os
import shutil
import sys
import time

NAME = os.path.basename(sys.argv[0])
_START = time.monotonic()


def note(msg):
    """Print "NAME: [Ss] msg", S the seconds since the test started."""
    print("%s: [%ds] %s" % (NAME, time.monotonic() - _START, msg), flush=True)


def fail(msg):
    """Print "NAME: FAIL: msg" on stderr and exit 1 (SystemExit, which a
    worker thread may catch to report its failure to the main thread)."""
    sys.stdout.flush()
    print("%s: FAIL: %s" % (NAME, msg), file=sys.stderr, flush=True)
    sys.exit(1)


def check(cond, msg):
    """fail(msg) unless cond is true."""
    if not cond:
        fail(msg)


def require(hint, *files):
    """fail("FILE is missing (hint)") unless every FILE is there: a kernel
    module (*.ko) must exist, any other path must be an executable, a name
    without a slash a command in PATH. An empty hint prints no parenthesis."""
    for f in files:
        if f.endswith(".ko"):
            ok = os.path.isfile(f)
        elif "/" in f:
            ok = os.path.isfile(f) and os.access(f, os.X_OK)
        else:
            ok = shutil.which(f) is not None
        check(ok, "%s is missing%s" % (f, " (%s)" % hint if hint else ""))
