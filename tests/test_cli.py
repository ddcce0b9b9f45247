"""The ``cookiesession`` command line: keygen, decode, sign; exit codes and error lines."""

from __future__ import annotations

import importlib.util
import io
import json
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cookiesession import SignedCookieSessionFactory
from cookiesession._base64 import decode as b64decode
from cookiesession._base64 import encode as b64encode
from cookiesession.cli import main
from cookiesession.signing import MAX_TOKEN_LENGTH, Signer
from tests.conftest import require
from tests.session_harness import (
    NOW,
    OTHER_SECRET,
    SECRET,
    FakeClock,
    cookie_header,
    cookie_value,
    noise,
    written,
)


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("COOKIESESSION_SECRET", SECRET)
    return SECRET


@pytest.fixture(scope="module")
def secret_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("secrets") / "secret.txt"
    path.write_text(SECRET + "\n", encoding="utf-8")  # as `keygen --output` leaves it
    path.chmod(0o600)
    return str(path)


def _run(
    capsys: pytest.CaptureFixture[str], *argv: str, clock: FakeClock | None = None
) -> tuple[int, str, str]:
    code = main(list(argv), clock=clock or FakeClock(NOW))
    out, err = capsys.readouterr()
    return code, out, err


def _sign(capsys: pytest.CaptureFixture[str], state: dict[str, Any], *extra: str) -> str:
    code, out, err = _run(capsys, "sign", "--state", json.dumps(state), *extra)
    assert (code, err) == (0, "")
    return out.strip()


# -- keygen ------------------------------------------------------------------------------


def test_keygen_prints_a_fresh_urlsafe_secret_longer_than_the_digest(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, first, _ = _run(capsys, "keygen")
    _, second, _ = _run(capsys, "keygen")
    secret = first.strip()
    assert code == 0
    assert first.endswith("\n") is True
    assert len(b64decode(secret)) == 64  # sha512's digest size, in random bytes
    assert len(secret) >= 64
    assert secret != second.strip()


def test_keygen_follows_the_hash_and_refuses_an_unknown_one(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, "keygen", "--hashalg", "sha256")
    assert (code, len(b64decode(out.strip()))) == (0, 32)
    code, out, err = _run(capsys, "keygen", "--hashalg", "nope")
    assert (code, out, err.count("\n")) == (2, "", 1)
    assert err.startswith("cookiesession: error: unsupported hash type 'nope'") is True


# -- sign -> decode ----------------------------------------------------------------------


def test_sign_then_decode_round_trips_as_json(capsys: pytest.CaptureFixture[str], secret_env: str) -> None:
    state = {"user": "alice", "roles": ["admin"], "n": 3, "caf\u00e9": "\u2603"}
    token = _sign(capsys, state, "--accessed", "1700000000", "--created", "2023-11-14T22:00:00Z")
    code, out, err = _run(capsys, "decode", token, "--json")
    result = json.loads(out)
    assert (code, err) == (0, "")
    assert result["state"] == state
    assert (result["verified"], result["key_index"]) == (True, 0)
    assert (result["accessed"], result["accessed_iso"]) == (1700000000, "2023-11-14T22:13:20+00:00")
    assert (result["created"], result["created_iso"]) == (1699999200.0, "2023-11-14T22:00:00+00:00")
    assert (result["expires"], result["expired"]) == (None, None)


def test_sign_defaults_to_the_times_of_a_fresh_session(
    capsys: pytest.CaptureFixture[str], secret_env: str
) -> None:
    token = _sign(capsys, {"a": 1})
    payload, _ = Signer(SECRET).unsign(token)
    assert json.loads(payload) == [int(NOW), NOW, {"a": 1}]


def test_decode_prints_iso_times_expiry_and_pretty_state(
    capsys: pytest.CaptureFixture[str], secret_env: str
) -> None:
    token = _sign(capsys, {"user": "alice"}, "--accessed", "1700000000", "--created", "1699990000.25")
    code, out, err = _run(capsys, "decode", token, "--timeout", "1200", clock=FakeClock(1_700_000_100))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "verified: yes, by the secret",
        "accessed: 2023-11-14T22:13:20+00:00",
        "created:  2023-11-14T19:26:40.250+00:00",
        "expires:  2023-11-14T22:33:20+00:00 (idle timeout of 1200 s; in 18m 20s)",
        "state:",
        "{",
        '  "user": "alice"',
        "}",
    ]


def test_an_expired_session_is_shown_and_exits_1(capsys: pytest.CaptureFixture[str], secret_env: str) -> None:
    token = _sign(capsys, {"user": "alice"}, "--accessed", "1000", "--created", "500")
    # Idle: expires at 1000 + 60; "expired" only strictly after, as the session decides.
    code, out, _ = _run(capsys, "decode", token, "--timeout", "60", "--json", clock=FakeClock(1060))
    assert (code, json.loads(out)["expired"]) == (0, False)
    code, out, err = _run(capsys, "decode", token, "--timeout", "60", "--json", clock=FakeClock(1061))
    result = json.loads(out)
    assert (code, result["expired"], result["expiry_reason"], result["expires"]) == (
        1,
        True,
        "idle timeout",
        1060,
    )
    assert err == "cookiesession: error: the session expired at 1970-01-01T00:17:40+00:00 (idle timeout)\n"
    # The absolute timeout counts from `created`, and the earlier end wins.
    code, out, _ = _run(
        capsys,
        "decode",
        token,
        "--timeout",
        "600",
        "--absolute-timeout",
        "520",
        "--json",
        clock=FakeClock(1030),
    )
    result = json.loads(out)
    assert (code, result["expires"], result["expiry_reason"]) == (1, 1020, "absolute timeout")


def test_a_real_pyramid_cookie_decodes(capsys: pytest.CaptureFixture[str], secret_file: str) -> None:
    require(importlib.util.find_spec("pyramid") is not None, "Pyramid")
    require(importlib.util.find_spec("webtest") is not None, "WebTest")
    from pyramid.config import Configurator
    from pyramid.session import SignedCookieSessionFactory as PyramidFactory
    from webtest import TestApp

    def view(request: Any) -> Any:
        request.session["user"] = "alice"
        request.session.flash("welcome")
        response = request.response
        response.text = "ok"
        return response

    with Configurator() as config:
        config.set_session_factory(PyramidFactory(SECRET))
        config.add_route("home", "/")
        config.add_view(view, route_name="home")
        app = config.make_wsgi_app()
    set_cookie = TestApp(app).get("/").headers["Set-Cookie"]

    code, out, err = _run(
        capsys, "decode", f"Set-Cookie: {set_cookie}", "--secret-file", secret_file, "--json"
    )
    result = json.loads(out)
    assert (code, err) == (0, "")
    assert result["state"] == {"user": "alice", "_f_": ["welcome"]}
    assert (type(result["accessed"]), type(result["created"])) == (int, float)


def test_a_cookie_from_the_library_session_decodes(
    capsys: pytest.CaptureFixture[str], secret_env: str
) -> None:
    session = SignedCookieSessionFactory(SECRET, clock=FakeClock(NOW)).from_cookie_value(None)
    session["cart"] = [1, 2]
    header = session.set_cookie_header()
    assert header is not None
    code, out, _ = _run(capsys, "decode", f"Set-Cookie: {header}", "--json")
    assert (code, json.loads(out)["state"]) == (0, {"cart": [1, 2]})


def test_a_compressed_cookie_decodes_and_unsafe_will_not_inflate_it(
    capsys: pytest.CaptureFixture[str], secret_env: str
) -> None:
    state = {"words": "the same words again " * 40}
    factory = SignedCookieSessionFactory(SECRET, clock=FakeClock(NOW), compress=True)
    (header,) = written(factory, state)
    code, out, _ = _run(capsys, "decode", f"Set-Cookie: {header}", "--json")
    assert (code, json.loads(out)["state"]) == (0, state)
    code, _, err = _run(capsys, "decode", f"Set-Cookie: {header}", "--unsafe")
    assert (code, err.splitlines()[-1]) == (
        1,
        "cookiesession: error: invalid cookie: the payload is compressed: "
        "--unsafe never inflates what no signature verified",
    )


def test_a_session_in_several_cookies_decodes_from_the_whole_cookie_header(
    capsys: pytest.CaptureFixture[str], secret_env: str
) -> None:
    state = {"big": noise(9000)}
    factory = SignedCookieSessionFactory(SECRET, clock=FakeClock(NOW), max_cookies=3)
    header = cookie_header(written(factory, state))
    code, out, _ = _run(capsys, "decode", f"Cookie: {header}", "--json")
    assert (code, json.loads(out)["state"]) == (0, state)
    first_two = "; ".join(header.split("; ")[:2])
    head = header.split("; ")[0].split("=", 1)[1]
    for text, message in [
        (
            f"Cookie: {first_two}",
            "a session in several cookies whose pieces (session.1, ...) are not all in the input: "
            "give the whole Cookie header",
        ),
        (head, "this is the first piece of a session in several cookies: give the whole Cookie header"),
    ]:
        code, _, err = _run(capsys, "decode", text)
        assert (code, err) == (1, f"cookiesession: error: invalid cookie: {message}\n")


# -- verification failures (exit 1) ---------------------------------------------------


def test_a_wrong_secret_exits_1_with_one_line(capsys: pytest.CaptureFixture[str], secret_env: str) -> None:
    token = _sign(capsys, {"user": "alice"})
    code, out, err = _run(capsys, "decode", token, clock=None)
    assert code == 0
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COOKIESESSION_SECRET", OTHER_SECRET)
        code, out, err = _run(capsys, "decode", token)
    assert (code, out, err) == (1, "", "cookiesession: error: invalid cookie: signature does not verify\n")


def test_a_fallback_secret_verifies_and_says_so(
    capsys: pytest.CaptureFixture[str], secret_env: str, tmp_path: Path
) -> None:
    old_token = _sign(capsys, {"user": "alice"})
    unrelated = tmp_path / "unrelated"
    unrelated.write_text("unrelated-secret-" * 4)
    fallback = tmp_path / "old"
    fallback.write_text(SECRET)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COOKIESESSION_SECRET", OTHER_SECRET)
        argv = [
            "decode",
            old_token,
            "--fallback-secret-file",
            str(unrelated),
            "--fallback-secret-file",
            str(fallback),
        ]
        code, out, _ = _run(capsys, *argv, "--json")
        assert (code, json.loads(out)["key_index"]) == (0, 2)
        code, out, _ = _run(capsys, *argv)
    assert (
        out.splitlines()[0] == "verified: yes, by fallback secret 2 (the app re-issues it under the secret)"
    )


def test_salt_hashalg_and_cookie_name_must_match(capsys: pytest.CaptureFixture[str], secret_env: str) -> None:
    token = _sign(capsys, {"a": 1}, "--salt", "my.app.", "--hashalg", "sha256")
    assert _run(capsys, "decode", token)[0] == 1
    assert _run(capsys, "decode", token, "--salt", "my.app.")[0] == 1
    assert _run(capsys, "decode", token, "--salt", "my.app.", "--hashalg", "sha256")[0] == 0
    header = f"Cookie: session=other; auth={token}"
    assert (
        _run(capsys, "decode", header, "--salt", "my.app.", "--hashalg", "sha256", "--cookie-name", "auth")[0]
        == 0
    )


def test_a_signed_payload_that_is_not_json_is_never_unpickled(
    capsys: pytest.CaptureFixture[str], secret_env: str
) -> None:
    token = Signer(SECRET).sign(pickle.dumps((1, 2.0, {"a": 1})))
    code, out, err = _run(capsys, "decode", token)
    assert (code, out) == (1, "")
    assert err == (
        "cookiesession: error: invalid cookie: the payload is not JSON "
        "(a pickled session? this tool never unpickles)\n"
    )


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b'{"a": 1}', "expected [accessed, created, state]"),
        (b'[1, "2", {}]', "created is not a finite number"),
        (b"[NaN, 2, {}]", "accessed is not a finite number"),
        (b"[1" + b"0" * 400 + b", 2, {}]", "accessed is not a finite number"),  # beyond a float
        (b"[1, 2, []]", "its state is not a JSON object"),
    ],
)
def test_a_signed_payload_that_is_not_a_session_exits_1(
    capsys: pytest.CaptureFixture[str], secret_env: str, payload: bytes, reason: str
) -> None:
    code, out, err = _run(capsys, "decode", Signer(SECRET).sign(payload))
    assert (code, out, err) == (
        1,
        "",
        f"cookiesession: error: invalid cookie: the payload is not a session: {reason}\n",
    )


def test_too_long_or_missing_cookies_exit_1(capsys: pytest.CaptureFixture[str], secret_env: str) -> None:
    code, _, err = _run(capsys, "decode", "A" * (MAX_TOKEN_LENGTH + 1))
    assert (code, err.count("\n")) == (1, 1)
    code, _, err = _run(capsys, "decode", "Cookie: other=1")
    assert (code, err) == (
        1,
        "cookiesession: error: invalid cookie: no cookie named 'session' in the input (see --cookie-name)\n",
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(token=st.text(max_size=300).filter(lambda t: t != "-"))
def test_any_token_gives_one_error_line_and_exit_1(
    capsys: pytest.CaptureFixture[str], secret_file: str, token: str
) -> None:
    code, out, err = _run(capsys, "decode", "--secret-file", secret_file, "--", token)
    assert (code, out, err.count("\n")) == (1, "", 1)
    assert err.startswith("cookiesession: error: invalid cookie: ") is True


# -- input forms ---------------------------------------------------------------------


def test_token_from_a_cookie_header_line_and_from_stdin(
    capsys: pytest.CaptureFixture[str], secret_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = _sign(capsys, {"user": "alice"})
    for text in (f"Cookie: a=1; session={token}; b=2", f"cookie:session={token}", f"session={token}"):
        code, out, _ = _run(capsys, "decode", text, "--json")
        assert (code, json.loads(out)["state"]) == (0, {"user": "alice"})
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"Cookie: session={token}\n"))
    code, out, _ = _run(capsys, "decode", "-", "--json")
    assert (code, json.loads(out)["state"]) == (0, {"user": "alice"})


def test_sign_reads_the_state_from_stdin(
    capsys: pytest.CaptureFixture[str], secret_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"from": "stdin"}\n'))
    code, out, _ = _run(capsys, "sign", "--state", "-")
    assert code == 0
    payload, _ = Signer(SECRET).unsign(out.strip())
    assert json.loads(payload)[2] == {"from": "stdin"}


def test_a_secret_file_ignores_its_trailing_newline_and_may_be_binary(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COOKIESESSION_SECRET", raising=False)
    binary = bytes(range(128, 256))
    path = tmp_path / "binary"
    path.write_bytes(binary + b"\r\n")
    token = Signer(binary).sign(b'[1, 2.0, {"k": "v"}]')
    code, out, _ = _run(capsys, "decode", token, "--secret-file", str(path), "--json")
    assert (code, json.loads(out)["state"]) == (0, {"k": "v"})


# -- --unsafe ------------------------------------------------------------------------


def test_unsafe_shows_an_unverified_payload_with_a_warning(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COOKIESESSION_SECRET", raising=False)
    forged = b64encode(b"\0" * 64 + b'[1700000000, 1700000000.5, {"user": "mallory"}]')
    code, out, err = _run(capsys, "decode", forged, "--unsafe", "--json")
    result = json.loads(out)
    assert code == 0
    assert (result["verified"], result["key_index"], result["state"]) == (False, None, {"user": "mallory"})
    assert err == (
        "cookiesession: WARNING: UNVERIFIED: the signature was NOT checked; "
        "anyone can write a cookie that shows this content\n"
    )
    code, out, _ = _run(capsys, "decode", forged, "--unsafe")
    assert out.splitlines()[0] == "verified: NO (--unsafe: the signature was not checked)"
    # Without --unsafe the same cookie needs a secret, and fails with one.
    assert _run(capsys, "decode", forged)[0] == 2
    monkeypatch.setenv("COOKIESESSION_SECRET", SECRET)
    assert _run(capsys, "decode", forged)[0] == 1


def test_unsafe_never_unpickles_and_refuses_encrypted(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COOKIESESSION_SECRET", raising=False)
    pickled = b64encode(b"\0" * 64 + pickle.dumps((1, 2.0, {})))
    assert _run(capsys, "decode", pickled, "--unsafe")[0] == 1
    code, _, err = _run(capsys, "decode", pickled, "--unsafe", "--encrypted")
    assert (code, err.splitlines()[-1]) == (
        2,
        "cookiesession: error: --unsafe shows signed cookies only: an encrypted cookie needs its secret",
    )


def test_control_characters_in_the_state_are_escaped_for_the_terminal(
    capsys: pytest.CaptureFixture[str], secret_env: str
) -> None:
    token = _sign(capsys, {"x": "\x1b[2J\u0085\u202e\U000e0001\U0001f600 ok"})
    code, out, _ = _run(capsys, "decode", token)
    assert code == 0
    assert out.splitlines()[-2] == '  "x": "\\u001b[2J\\u0085\\u202e\\udb40\\udc01\U0001f600 ok"'


# -- usage errors (exit 2) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sign", "--state", "{nope"], "--state is not valid JSON"),
        (["sign", "--state", "[1, 2]"], "--state must be a JSON object (the session's dict)"),
        (["decode", "x", "--secret-file", "/nonexistent/secret"], "cannot read the secret file"),
        (
            ["sign", "--state", "{}", "--hashalg", "shake_128"],
            "hashalg 'shake_128' has no fixed digest length",
        ),
        (
            ["sign", "--state", json.dumps({"big": "x" * 4000})],
            "the cookie would be 5",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], secret_env: str, argv: list[str], message: str
) -> None:
    code, out, err = _run(capsys, *argv)
    assert (code, out, err.count("\n")) == (2, "", 1)
    assert err.startswith(f"cookiesession: error: {message}") is True


def test_a_missing_secret_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COOKIESESSION_SECRET", raising=False)
    code, _, err = _run(capsys, "sign", "--state", "{}")
    assert (code, err) == (
        2,
        "cookiesession: error: no secret: pass --secret-file FILE or set the COOKIESESSION_SECRET "
        "environment variable\n",
    )


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["decode"],
        ["decode", "x", "--secret", "on-the-command-line"],
        ["decode", "x", "--timeout", "-5"],
        ["decode", "x", "--timeout", "1.5"],
        ["sign"],
        ["sign", "--state", "{}", "--accessed", "yesterday"],
    ],
)
def test_argument_errors_exit_2_with_usage(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, err = _run(capsys, *argv)
    assert (code, out) == (2, "")
    assert err.startswith("usage: cookiesession") is True


@pytest.mark.parametrize("command", ["keygen", "decode", "sign"])
def test_every_command_has_help(capsys: pytest.CaptureFixture[str], command: str) -> None:
    code, out, _ = _run(capsys, command, "--help")
    assert (code, out.startswith(f"usage: cookiesession {command}")) == (0, True)


# -- as a program --------------------------------------------------------------------


def test_python_dash_m_and_the_console_script_run() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cookiesession", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.startswith("usage: cookiesession [-h] [--version] COMMAND") is True
    script = shutil.which("cookiesession", path=str(Path(sys.executable).parent))
    require(script is not None, "the installed `cookiesession` console script (pip install -e .)")
    assert script is not None
    result = subprocess.run([script, "keygen"], capture_output=True, text=True, timeout=60, check=False)
    assert (result.returncode, len(b64decode(result.stdout.strip()))) == (0, 64)


# -- edges ---------------------------------------------------------------------------


class _FailingStdin(io.StringIO):
    def __init__(self, exc: BaseException) -> None:
        super().__init__()
        self.exc = exc

    def read(self, size: int | None = -1) -> str:
        raise self.exc


def test_stdin_that_fails_or_is_interrupted_gives_no_traceback(
    capsys: pytest.CaptureFixture[str], secret_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", _FailingStdin(OSError(5, "Input/output error")))
    code, _, err = _run(capsys, "decode", "-")
    assert (code, err) == (
        2,
        "cookiesession: error: cannot read the cookie from standard input: [Errno 5] Input/output error\n",
    )
    monkeypatch.setattr(sys, "stdin", _FailingStdin(KeyboardInterrupt()))
    assert _run(capsys, "sign", "--state", "-")[:2] == (130, "")


def test_an_empty_secret_file_is_a_usage_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.write_text("\n")
    empty.chmod(0o600)
    code, _, err = _run(capsys, "sign", "--state", "{}", "--secret-file", str(empty))
    assert (code, err) == (2, f"cookiesession: error: the secret file {str(empty)!r} is empty\n")


def test_times_naive_iso_is_utc_and_infinity_is_refused(
    capsys: pytest.CaptureFixture[str], secret_env: str
) -> None:
    token = _sign(capsys, {}, "--accessed", "2024-01-01T00:00:00", "--created", "2024-01-01T01:00:00+01:00")
    code, out, _ = _run(capsys, "decode", token, "--json")
    result = json.loads(out)
    assert (code, result["accessed_iso"], result["created_iso"]) == (
        0,
        "2024-01-01T00:00:00+00:00",
        "2024-01-01T00:00:00+00:00",
    )
    code, _, err = _run(capsys, "sign", "--state", "{}", "--accessed", "inf")
    assert (code, err.splitlines()[-1]) == (
        2,
        "cookiesession sign: error: argument --accessed: not a finite time",
    )


def test_times_out_of_range_and_long_expiries_are_printed(
    capsys: pytest.CaptureFixture[str], secret_env: str
) -> None:
    token = _sign(capsys, {}, "--accessed", "1e20", "--created", "1000")
    code, out, _ = _run(
        capsys, "decode", token, "--absolute-timeout", "86400", clock=FakeClock(1000 + 2 * 86400 + 3723)
    )
    assert code == 1
    assert out.splitlines()[1:4] == [
        "accessed: (out of range: 1e+20)",
        "created:  1970-01-01T00:16:40+00:00",
        "expires:  1970-01-02T00:16:40+00:00 (absolute timeout of 86400 s; expired 1d 1h 2m 3s ago)",
    ]


def test_unsafe_refuses_a_token_shorter_than_the_signature(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(capsys, "decode", b64encode(b"\0" * 31), "--unsafe", "--hashalg", "sha256")
    assert (code, err.splitlines()[-1]) == (
        1,
        "cookiesession: error: invalid cookie: the cookie is shorter than a sha256 signature",
    )


# -- encrypted cookies ---------------------------------------------------------------


def test_encrypted_cookies_sign_decode_and_bind_the_cookie_name(
    capsys: pytest.CaptureFixture[str], secret_env: str, tmp_path: Path
) -> None:
    require(importlib.util.find_spec("cryptography") is not None, "cryptography (cookiesession[crypto])")
    from cookiesession import EncryptedCookieSessionFactory

    session = EncryptedCookieSessionFactory(SECRET, clock=FakeClock(NOW)).from_cookie_value(None)
    session["user"] = "alice"
    header = session.set_cookie_header()
    assert header is not None
    code, out, err = _run(capsys, "decode", f"Set-Cookie: {header}", "--encrypted", "--json")
    assert (code, err, json.loads(out)["state"]) == (0, "", {"user": "alice"})

    token = _sign(capsys, {"cart": [1]}, "--encrypted", "--cookie-name", "shop")
    assert _run(capsys, "decode", token, "--encrypted", "--cookie-name", "shop")[0] == 0
    code, _, err = _run(capsys, "decode", token, "--encrypted")  # another cookie name
    assert (code, err) == (1, "cookiesession: error: invalid cookie: invalid encrypted session token\n")
    assert _run(capsys, "decode", token, "--cookie-name", "shop")[0] == 1  # read as a signed cookie
    # Rotation: the old secret as a fallback.
    old = tmp_path / "old"
    old.write_text(SECRET)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("COOKIESESSION_SECRET", OTHER_SECRET)
        argv = ["decode", token, "--encrypted", "--cookie-name", "shop", "--json"]
        assert _run(capsys, *argv)[0] == 1
        code, out, _ = _run(capsys, *argv, "--fallback-secret-file", str(old))
    assert (code, json.loads(out)["key_index"]) == (0, 1)


def test_encrypted_without_cryptography_says_what_to_install(
    capsys: pytest.CaptureFixture[str], secret_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # None in sys.modules makes `import cryptography.exceptions` raise ImportError.
    monkeypatch.setitem(sys.modules, "cryptography.exceptions", None)
    code, out, err = _run(capsys, "sign", "--state", "{}", "--encrypted")
    assert (code, out) == (2, "")
    assert err == (
        "cookiesession: error: encrypted sessions need the 'cryptography' package: "
        "pip install 'cookiesession[crypto]'\n"
    )


# -- input that is not text, output that cannot show it -------------------------------------------


def test_a_secret_or_salt_that_is_not_utf8_is_used_as_bytes(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The environment and argv hand such bytes over as lone surrogates: they are taken
    # as the bytes they were, as from a secret file, never a traceback quoting them.
    secret = b"\xffTOPSECRET-" + b"x" * 64
    salt = b"s\xe9lt."
    token = Signer(secret, salt).sign(b'[1700000000, 1700000000.5, {"k": "v"}]')
    monkeypatch.setenv("COOKIESESSION_SECRET", os.fsdecode(secret))
    code, out, err = _run(capsys, "decode", "--json", "--salt", os.fsdecode(salt), "--", token)
    assert (code, json.loads(out)["state"], err) == (0, {"k": "v"}, "")
    code, out, err = _run(capsys, "decode", "--", token)  # the default salt: not this cookie's
    assert (code, out, err.count("\n"), "TOPSECRET" in err) == (1, "", 1, False)


def test_a_cookie_name_that_is_not_ascii_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], secret_env: str
) -> None:
    require(importlib.util.find_spec("cryptography") is not None, "cryptography")
    code, out, err = _run(capsys, "decode", "--encrypted", "--cookie-name", "s\udcffn", "--", "abc")
    assert (code, out, err) == (2, "", "cookiesession: error: --cookie-name must be ASCII\n")


def test_a_state_the_terminal_cannot_encode_is_escaped(
    capsys: pytest.CaptureFixture[str], secret_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = _sign(capsys, {"u": "caf\u00e9 \U0001f600"})
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    monkeypatch.setattr(sys, "stdout", stdout)
    code = main(["decode", "--", token], clock=FakeClock(NOW))
    stdout.flush()
    text = stdout.buffer.getvalue().decode("ascii")
    assert (code, '"u": "caf\\xe9 \\U0001f600"' in text) == (0, True)


def test_revoke_refuses_a_bad_redis_url_or_a_missing_redis_py_as_usage_errors(
    capsys: pytest.CaptureFixture[str], secret_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    require(importlib.util.find_spec("redis") is not None, "redis-py")
    factory = SignedCookieSessionFactory(SECRET, revocation="memory", clock=FakeClock(NOW))
    session = factory.from_cookie_value(None)
    session["user"] = "alice"
    header = session.set_cookie_header()
    assert header is not None
    token = cookie_value(header)
    monkeypatch.setenv("COOKIESESSION_REDIS_URL", "redis://127.0.0.1:notaport/0")
    code, out, err = _run(capsys, "revoke", "--", token)
    assert (code, out, err.startswith("cookiesession: error: the Redis URL is not one redis-py can use")) == (
        2,
        "",
        True,
    )
    monkeypatch.setitem(sys.modules, "redis", None)  # as if the extra were not installed
    monkeypatch.setenv("COOKIESESSION_REDIS_URL", "redis://127.0.0.1:1/0")
    code, out, err = _run(capsys, "revoke", "--", token)
    assert (code, out, "pip install 'cookiesession[redis]'" in err, err.count("\n")) == (2, "", True, 1)
