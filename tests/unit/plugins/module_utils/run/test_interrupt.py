"""Ctrl-C and SIGTERM during a run (run/interrupt.py): real signals sent to this very process
inside ``interruptible``, the handlers put back after it, and the Speaker that writes straight
to a file descriptor (a pipe here) once the run is interrupted."""

import os
import signal
import threading

import pytest

from ansible_collections.maestro.ng.plugins.module_utils.run import interrupt
from ansible_collections.maestro.ng.plugins.module_utils.run.interrupt import Speaker, interruptible


def mine(signum, frame):  # a handler of the test's own, to see it put back
    raise AssertionError("the test's own handler ran for signal %d" % signum)


@pytest.fixture
def own_handlers():
    """SIGINT and SIGTERM set to ``mine`` for the test, pytest's handlers back after it."""
    before = {signum: signal.signal(signum, mine) for signum in interrupt.SIGNALS}
    yield
    for signum, handler in before.items():
        signal.signal(signum, handler)


def test_the_signals_are_sigint_and_sigterm():
    assert interrupt.SIGNALS == (signal.SIGINT, signal.SIGTERM)


def test_a_signal_inside_the_block_calls_on_signal_with_its_name(own_handlers):
    seen = []
    with interruptible(seen.append):
        os.kill(os.getpid(), signal.SIGINT)
        assert seen == ["SIGINT"]
        os.kill(os.getpid(), signal.SIGTERM)
        assert seen == ["SIGINT", "SIGTERM"]
        os.kill(os.getpid(), signal.SIGINT)  # every signal, not only the first
    assert seen == ["SIGINT", "SIGTERM", "SIGINT"]


def test_the_previous_handlers_are_back_after_the_block(own_handlers):
    with interruptible(lambda name: None):
        assert signal.getsignal(signal.SIGINT) is not mine
        assert signal.getsignal(signal.SIGTERM) is not mine
    assert signal.getsignal(signal.SIGINT) is mine
    assert signal.getsignal(signal.SIGTERM) is mine


def test_the_previous_handlers_are_back_after_an_error_in_the_block(own_handlers):
    with pytest.raises(RuntimeError, match="boom"), interruptible(lambda name: None):
        raise RuntimeError("boom")
    assert signal.getsignal(signal.SIGINT) is mine
    assert signal.getsignal(signal.SIGTERM) is mine


def test_a_sigint_after_the_block_reaches_the_previous_handler_again(own_handlers):
    seen = []
    with interruptible(seen.append):
        pass
    with pytest.raises(AssertionError, match="the test's own handler ran for signal 2"):
        os.kill(os.getpid(), signal.SIGINT)
    assert seen == []


def test_outside_the_main_thread_it_changes_nothing(own_handlers):
    seen, inside = [], []

    def work():
        with interruptible(seen.append):
            inside.append((signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)))

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(5)
    assert inside == [(mine, mine)]
    assert signal.getsignal(signal.SIGINT) is mine
    assert seen == []


# ---------------------------------------------------------------------- controller_stderr
def test_controller_stderr_opens_the_parents_standard_error(monkeypatch):
    # This process as its own parent: the file it opens is this process's fd 2.
    monkeypatch.setattr(interrupt.os, "getppid", os.getpid)
    fd = interrupt.controller_stderr()
    assert fd is not None
    try:
        opened, stderr = os.fstat(fd), os.fstat(2)
        assert (opened.st_dev, opened.st_ino) == (stderr.st_dev, stderr.st_ino)
    finally:
        os.close(fd)


def test_controller_stderr_of_a_gone_parent_is_none(monkeypatch):
    monkeypatch.setattr(interrupt.os, "getppid", lambda: 2**22 + 1)  # above Linux's largest pid
    assert interrupt.controller_stderr() is None


# ---------------------------------------------------------------------- Speaker
@pytest.fixture
def pipe():
    read, write = os.pipe()
    inode = os.fstat(read).st_ino
    yield read, write
    for fd in (read, write):
        # Only the pipe's own ends: a number a test closed may belong to another file by now.
        try:
            if os.fstat(fd).st_ino == inode:
                os.close(fd)
        except OSError:
            pass


def test_the_speaker_shows_lines_through_the_display_until_it_goes_direct(pipe):
    read, write = pipe
    shown = []
    speaker = Speaker(shown.append, write)
    speaker("db: starting")
    assert shown == ["db: starting"]
    speaker.go_direct()
    speaker("SIGINT: finishing the containers in progress")
    speaker("été")
    assert shown == ["db: starting"]
    assert os.read(read, 1000) == "SIGINT: finishing the containers in progress\nété\n".encode("utf-8")


def test_a_direct_line_that_cannot_be_encoded_is_written_with_replacements(pipe):
    read, write = pipe
    speaker = Speaker(lambda line: None, write)
    speaker.go_direct()
    speaker("bad \udc80 byte")
    assert os.read(read, 100) == b"bad ? byte\n"


def test_without_a_file_descriptor_direct_lines_still_go_to_the_display():
    shown = []
    speaker = Speaker(shown.append)
    speaker.go_direct()
    speaker("interrupted (SIGTERM)")
    assert speaker.direct is True
    assert shown == ["interrupted (SIGTERM)"]


def test_a_write_to_a_closed_reader_is_dropped_quietly(pipe):
    read, write = pipe
    os.close(read)
    shown = []
    speaker = Speaker(shown.append, write)
    speaker.go_direct()
    speaker("nobody reads this")  # EPIPE: no error
    assert shown == []


def test_close_closes_the_file_descriptor_once_and_lines_go_to_the_display_after(pipe):
    read, write = pipe
    shown = []
    speaker = Speaker(shown.append, write)
    speaker.go_direct()
    speaker.close()
    assert speaker.fd is None
    with pytest.raises(OSError):
        os.fstat(write)
    speaker.close()  # a second close is a no-op
    speaker("after the end")
    assert shown == ["after the end"]
    assert os.read(read, 100) == b""  # the pipe's writer is gone: end of file
