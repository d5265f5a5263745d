"""A real IMAP server for the tests: Debian's Dovecot (package ``dovecot-imapd``, installed by
``make ci-services``), started with its own configuration in a temporary folder, on a free
port of 127.0.0.1, with one mailbox user. Plain IMAP, and IMAPS with a self-signed
certificate made by ``openssl`` (a dependency of dovecot-core)."""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.intake.conftest import free_port, self_signed

USER, PASSWORD = "complaints", "imap-test-password"
BINARY = shutil.which("dovecot") or "/usr/sbin/dovecot"


@dataclass(frozen=True)
class Dovecot:
    """A running server: where it listens and how to reach the test mailbox."""

    port: int
    tls_port: int
    log: Path
    user: str = USER

    def client(self) -> imaplib.IMAP4:
        """A logged-in plain IMAP connection (to put mail in, as a mail server would)."""
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        client.login(self.user, PASSWORD)
        return client

    def append(self, raw: bytes, mailbox: str = "INBOX") -> int:
        """Deliver ``raw`` into ``mailbox``; its UID."""
        client = self.client()
        try:
            status, data = client.append(mailbox, None, None, raw)
            assert status == "OK", data
            return int(data[0].split(b"APPENDUID ")[1].split()[1].rstrip(b"]"))
        finally:
            client.logout()


def _config(root: Path, port: int, tls_port: int) -> str:
    me = pwd.getpwuid(os.getuid())
    # Dovecot refuses to open mail as root: as root the mail belongs to the "mail" user
    owner = pwd.getpwnam("mail") if me.pw_uid == 0 else me
    os.chown(root / "mail", owner.pw_uid, owner.pw_gid)
    unprivileged = "" if me.pw_uid == 0 else (
        f"default_internal_user = {me.pw_name}\ndefault_login_user = {me.pw_name}\n"
        f"default_internal_group = {grp.getgrgid(me.pw_gid).gr_name}\n")
    return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = ombud-test-{port}
log_path = {root}/dovecot.log
{unprivileged}
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={owner.pw_uid} gid={owner.pw_gid} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""


@contextmanager
def running() -> Iterator[Dovecot]:
    """Start Dovecot, wait until it answers, and stop it afterwards."""
    assert os.path.exists(BINARY), (
        "the IMAP tests need Debian's dovecot-imapd (`make ci-services` installs it)")
    root = Path(tempfile.mkdtemp(prefix="ombud-imap-"))  # short: Dovecot's sockets live here
    root.chmod(0o755)
    (root / "mail").mkdir()
    self_signed(root, "/CN=imap.test.invalid")
    port, tls_port = free_port(), free_port()
    (root / "dovecot.conf").write_text(_config(root, port, tls_port))
    proc = subprocess.Popen([BINARY, "-F", "-c", str(root / "dovecot.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    server = Dovecot(port, tls_port, root / "dovecot.log")
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                server.client().logout()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("dovecot did not start: " + (
                        proc.stderr.read().decode() if proc.stderr else "")) from None
                time.sleep(0.1)
        yield server
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        shutil.rmtree(root, ignore_errors=True)
