"""The command line keeps secrets off the terminal, out of argv and out of files others can read.

``keygen --output`` writes a file only its owner can read; a secret (or Redis URL) file that
other users can open draws a warning; ``--redis-url`` is refused (its password would show in
``ps`` and shell histories); and no error repeats a value given to an unknown or mistaken option.
"""

from __future__ import annotations

import importlib.util
import os
import stat
import sys
from pathlib import Path

import pytest

from cookiesession import SignedCookieSessionFactory
from cookiesession.cli import main
from tests.conftest import require
from tests.session_harness import NOW, SECRET, FakeClock, cookie_value

POSIX = os.name == "posix"
# What someone might type by mistake; no error may show it.
TYPED_SECRET = "hunter2-Zq8Xv3Lp0Wd5Rb7"


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv), clock=FakeClock(NOW))
    out, err = capsys.readouterr()
    return code, out, err


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- keygen --output -----------------------------------------------------------------------------


def test_keygen_output_writes_a_file_only_its_owner_can_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    require(POSIX, "POSIX file modes")
    path = tmp_path / "secret.txt"
    old_umask = os.umask(0o000)  # the loosest umask: the mode must not depend on it
    try:
        code, out, err = _run(capsys, "keygen", "--output", str(path))
    finally:
        os.umask(old_umask)
    secret = path.read_text(encoding="ascii")
    # Nothing on the terminal; the file holds one secret line, as long as keygen prints.
    assert (code, out, err, _mode(path)) == (0, "", "", 0o600)
    assert (secret.endswith("\n"), len(secret.strip()) >= 86, secret.count("\n")) == (True, True, 1)


def test_keygen_output_refuses_an_existing_file_unless_forced(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    require(POSIX, "POSIX file modes")
    path = tmp_path / "secret.txt"
    path.write_text("the old secret\n", encoding="ascii")
    path.chmod(0o644)
    code, out, err = _run(capsys, "keygen", "--output", str(path))
    assert (code, out, err, path.read_text(encoding="ascii")) == (
        2,
        "",
        f"cookiesession: error: {str(path)!r} exists: pass --force to replace it\n",
        "the old secret\n",
    )
    code, out, err = _run(capsys, "keygen", "--output", str(path), "--force")
    # Replaced by a new file: the old mode is not kept, and no temporary file is left behind.
    assert (code, out, err, _mode(path), sorted(p.name for p in tmp_path.iterdir())) == (
        0,
        "",
        "",
        0o600,
        ["secret.txt"],
    )
    assert path.read_text(encoding="ascii") != "the old secret\n"


def test_keygen_output_never_writes_through_a_symbolic_link(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    require(POSIX, "symbolic links")
    target = tmp_path / "elsewhere"
    link = tmp_path / "secret.txt"
    link.symlink_to(target)
    code, _, err = _run(capsys, "keygen", "--output", str(link))
    assert (code, target.exists(), err.endswith("exists: pass --force to replace it\n")) == (2, False, True)


def test_keygen_output_into_a_missing_directory_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "missing" / "secret.txt"
    for extra in ([], ["--force"]):
        code, out, err = _run(capsys, "keygen", "--output", str(path), *extra)
        assert (code, out, err) == (
            2,
            "",
            f"cookiesession: error: cannot write {str(path)!r}: No such file or directory\n",
        )


def test_a_secret_written_by_keygen_decodes_without_a_warning(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "secret.txt"
    assert _run(capsys, "keygen", "--output", str(path))[0] == 0
    secret = path.read_text(encoding="ascii").strip()
    session = SignedCookieSessionFactory(secret).from_cookie_value(None)
    session["user"] = "alice"
    header = session.set_cookie_header()
    assert header is not None
    code, out, err = _run(capsys, "decode", cookie_value(header), "--secret-file", str(path))
    assert (code, "alice" in out, err) == (0, True, "")


# -- files other users can read ------------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o620], ids=oct)
def test_a_secret_file_other_users_can_open_warns(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, mode: int
) -> None:
    require(POSIX, "POSIX file modes")
    path = tmp_path / "secret.txt"
    path.write_text(SECRET + "\n", encoding="ascii")
    path.chmod(mode)
    code, out, err = _run(capsys, "sign", "--state", "{}", "--secret-file", str(path))
    # A warning, and the command still does its work.
    assert (code, len(out.strip()) > 100, err) == (
        0,
        True,
        f"cookiesession: warning: the secret file {str(path)!r} is open to users other than its "
        f"owner (mode {mode:04o}); make it private: chmod 600 {path}\n",
    )


def test_a_fallback_secret_file_is_checked_too(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    require(POSIX, "POSIX file modes")
    private, shared = tmp_path / "secret", tmp_path / "old"
    for path, mode in ((private, 0o600), (shared, 0o644)):
        path.write_text(SECRET, encoding="ascii")
        path.chmod(mode)
    argv = ["decode", "x", "--secret-file", str(private), "--fallback-secret-file", str(shared)]
    _, _, err = _run(capsys, *argv)
    assert err.splitlines()[0] == (
        f"cookiesession: warning: the fallback secret file {str(shared)!r} is open to users other "
        f"than its owner (mode 0644); make it private: chmod 600 {shared}"
    )


def test_a_private_secret_file_and_a_pipe_do_not_warn(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    require(POSIX, "POSIX file modes and pipes")
    path = tmp_path / "secret.txt"
    path.write_text(SECRET, encoding="ascii")
    path.chmod(0o600)
    assert _run(capsys, "sign", "--state", "{}", "--secret-file", str(path))[::2] == (0, "")
    # `--secret-file <(pass show app/secret)`: a pipe's mode says nothing about the secret.
    read_end, write_end = os.pipe()
    os.write(write_end, SECRET.encode())
    os.close(write_end)
    try:
        pipe = f"/dev/fd/{read_end}"
        require(os.path.exists(pipe), "/dev/fd")
        assert _run(capsys, "sign", "--state", "{}", "--secret-file", pipe)[::2] == (0, "")
    finally:
        os.close(read_end)


# -- the Redis URL ---------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["separate", "equals"])
def test_a_redis_url_on_the_command_line_is_refused_without_showing_it(
    capsys: pytest.CaptureFixture[str], spelling: str
) -> None:
    url = f"redis://:{TYPED_SECRET}@127.0.0.1:6379/0"
    option = ["--redis-url", url] if spelling == "separate" else [f"--redis-url={url}"]
    code, out, err = _run(capsys, "revoke", *option, "--", "token")
    assert (code, out, TYPED_SECRET in err, err.splitlines()[-1]) == (
        2,
        "",
        False,
        "cookiesession revoke: error: argument --redis-url: not accepted: a URL on the command line "
        "shows its password to ps and shell histories; set $COOKIESESSION_REDIS_URL or pass "
        "--redis-url-file FILE",
    )


def test_the_redis_url_comes_from_a_file_and_its_mode_is_checked(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    require(importlib.util.find_spec("redis") is not None, "redis-py")
    require(POSIX, "POSIX file modes")
    monkeypatch.setenv("COOKIESESSION_SECRET", SECRET)
    monkeypatch.setenv("COOKIESESSION_REDIS_URL", "redis://127.0.0.1:1/0")  # the file wins
    factory = SignedCookieSessionFactory(SECRET, revocation="memory", clock=FakeClock(NOW))
    session = factory.from_cookie_value(None)
    session["user"] = "alice"
    header = session.set_cookie_header()
    assert header is not None
    path = tmp_path / "redis-url"
    path.write_text(f"redis://:{TYPED_SECRET}@127.0.0.1:notaport/0\n", encoding="ascii")
    path.chmod(0o640)
    code, out, err = _run(capsys, "revoke", "--redis-url-file", str(path), "--", cookie_value(header))
    lines = err.splitlines()
    # The file's URL was used (the port is not a number), and its mode drew a warning.
    assert (code, out, len(lines)) == (2, "", 2)
    assert lines[0].startswith(f"cookiesession: warning: the Redis URL file {str(path)!r} is open") is True
    assert lines[1].startswith("cookiesession: error: the Redis URL is not one redis-py can use") is True


@pytest.mark.parametrize(("content", "message"), [(b"\n", "no Redis"), (b"\xff\n", "is not UTF-8 text")])
def test_an_empty_or_binary_redis_url_file_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    content: bytes,
    message: str,
) -> None:
    monkeypatch.setenv("COOKIESESSION_SECRET", SECRET)
    path = tmp_path / "redis-url"
    path.write_bytes(content)
    path.chmod(0o600)
    code, out, err = _run(capsys, "revoke", "--redis-url-file", str(path), "--", "token")
    assert (code, out, err.count("\n"), message in err) == (2, "", 1, True)


# -- no echo ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["decode", "--secret", TYPED_SECRET],
        ["decode", "token", "--secret", TYPED_SECRET],
        ["decode", "token", f"--secret={TYPED_SECRET}"],
        ["decode", "token", "--secret", f"-Z{TYPED_SECRET}"],  # a secret may start with '-'
        ["sign", "--state", "{}", "--fallback-secret", TYPED_SECRET],
        ["keygen", TYPED_SECRET],
        [TYPED_SECRET],
        ["decode", "token", "--timeout", TYPED_SECRET],
        ["sign", "--state", "{}", "--accessed", TYPED_SECRET],
        ["revoke", "token", "--redis-timeout", TYPED_SECRET],
        ["decode", "token", f"--json={TYPED_SECRET}"],
        [f"-h{TYPED_SECRET}"],
        ["decode", "token", f"--secret-fil={TYPED_SECRET}"],
        ["decode", "token", "--", "extra", TYPED_SECRET],
    ],
)
def test_no_error_repeats_a_value_given_to_an_unknown_or_mistaken_option(
    capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, out, err = _run(capsys, *argv)
    if argv[0].startswith("-h") and sys.version_info >= (3, 13):
        # Python 3.13's argparse acts on -h before it reads the letters glued to it: help,
        # which repeats nothing that was typed either.
        assert (code, TYPED_SECRET in out + err, out.startswith("usage: cookiesession")) == (0, False, True)
        return
    assert (code, out, TYPED_SECRET in err, err.startswith("usage: cookiesession")) == (2, "", False, True)


def test_a_mistaken_secret_option_says_where_the_secret_comes_from(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, _, err = _run(capsys, "decode", "token", "--secret", TYPED_SECRET)
    assert err.splitlines()[-1] == (
        "cookiesession: error: unrecognized arguments: --secret (values not shown); "
        "the secret comes from --secret-file FILE or $COOKIESESSION_SECRET"
    )


def test_the_errors_still_name_the_option_and_the_commands(capsys: pytest.CaptureFixture[str]) -> None:
    _, _, err = _run(capsys, "decode", "token", "--timeout", "1.5")
    assert err.splitlines()[-1] == (
        "cookiesession decode: error: argument --timeout: not a whole, non-negative number of seconds"
    )
    _, _, err = _run(capsys, "frobnicate")
    line = err.splitlines()[-1]
    # The list of choices is argparse's (its quoting differs between Python versions).
    assert (
        line.startswith("cookiesession: error: argument COMMAND: invalid choice: (value not shown)"),
        "frobnicate" in err,
        "revoke" in line,
    ) == (True, False, True)
