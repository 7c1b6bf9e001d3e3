"""A serving process freezes its start-up heap and still collects what it makes later."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import gc, weakref
    from joinedup.serving import THRESHOLDS, settle_heap

    class Node:
        pass

    before = gc.get_freeze_count()
    settle_heap()
    assert before == 0 and gc.get_freeze_count() > 10_000, gc.get_freeze_count()
    assert gc.get_threshold() == THRESHOLDS
    # A cycle made after start-up is garbage the collector still finds.
    a, b = Node(), Node()
    a.other, b.other = b, a
    gone = weakref.ref(a)
    del a, b
    gc.collect()
    assert gone() is None
    print("ok")
    """
)


def test_start_up_objects_are_frozen_and_later_cycles_still_collected() -> None:
    # In a process of its own: freezing is for the whole process, not for the test runner.
    done = subprocess.run(
        [sys.executable, "-c", "import subgraphs.registry\n" + SCRIPT],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
