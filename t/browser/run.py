#!/usr/bin/python3
"""The browser suite: /usr/bin/python3 t/browser/run.py [-v] [-k PATTERN]

Starts the test nginx, campaignd and one headless Chromium for the whole
suite (harness.py), runs every t/browser/test_*.py, stops them, and exits
non-zero on any failure. Screenshots go to build/browser/. On a failure the
servroot (logs, store, the mock's log) is kept and its path printed;
BROWSER_TEST_KEEP=1 keeps it always.
"""

import argparse
import os
import signal
import sys
import time
import unittest

sys.dont_write_bytecode = True     # no __pycache__ in the work tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('-v', '--verbose', action='store_true')
    ap.add_argument('-k', dest='patterns', action='append', default=[],
                    help='run only tests whose name contains this')
    args = ap.parse_args()

    loader = unittest.TestLoader()
    if args.patterns:
        loader.testNamePatterns = ['*%s*' % p for p in args.patterns]
    suite = loader.discover(os.path.dirname(os.path.abspath(__file__)),
                            pattern='test_*.py')

    # make's SIGTERM stops the servers and the browser too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    began = time.monotonic()
    h = harness.Harness()
    ok = False
    try:
        h.start()
        harness.set_current(h)
        result = unittest.TextTestRunner(
            verbosity=2 if args.verbose else 1).run(suite)
        ok = result.wasSuccessful()
    finally:
        keep = not ok or bool(os.environ.get('BROWSER_TEST_KEEP'))
        h.stop(keep=keep)
        if keep and h.servroot:
            print('servroot kept: %s' % h.servroot)
        print('browser suite: %.1fs, screenshots in %s'
              % (time.monotonic() - began, harness.SHOTS))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
