#!/usr/bin/python3
"""Mail, end to end, against a real SMTP server the test starts (Debian's python3-aiosmtpd) that
insists on STARTTLS with a certificate from a CA made for this run, and on AUTH. hubd's delivery
worker sends through it (libcurl), and the test reads what arrived: it follows the sign-up
verification link, the invitation link (and accepts the invitation), and the password reset link;
a 451 is retried and sent once; a 550 is dead, listed, and replayed by RetryDelivery.

Run through ctest (tools/dev test), like test_e2e.py, whose stack and stubs it shares.
"""
import asyncio
import email
import email.policy
import os
import re
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import grpc
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_e2e import Stack, free_port, generate_stubs  # noqa: E402


def make_ca(d):
    """A CA and a server certificate for 127.0.0.1, made for this run."""
    def run(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True)
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1",
        "-subj", "/CN=hub test mail CA", "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.pem")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=127.0.0.1",
        "-keyout", f"{d}/smtp.key", "-out", f"{d}/smtp.csr")
    with open(f"{d}/ext", "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    run("x509", "-req", "-in", f"{d}/smtp.csr", "-CA", f"{d}/ca.pem", "-CAkey", f"{d}/ca.key", "-CAcreateserial",
        "-days", "1", "-extfile", f"{d}/ext", "-out", f"{d}/smtp.pem")


class Sink:
    """What the SMTP server received, and how it answers: per address, a list of replies to give
    to DATA before accepting (e.g. ["451 ..."]), or a standing refusal."""

    def __init__(self):
        self.lock = threading.Lock()
        self.messages = []  # (rcpt, message, session facts)
        self.replies = {}
        self.refuse = {}

    async def handle_DATA(self, server, session, envelope):
        rcpt = envelope.rcpt_tos[0].lower()
        with self.lock:
            if rcpt in self.refuse:
                return self.refuse[rcpt]
            queued = self.replies.get(rcpt)
            if queued:
                return queued.pop(0)
            msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.messages.append((rcpt, msg, {"tls": session.ssl is not None, "auth": session.authenticated,
                                              "mail_from": envelope.mail_from}))
        return "250 2.0.0 accepted"

    def wait(self, rcpt, n=1, seconds=20):
        deadline = time.time() + seconds
        while time.time() < deadline:
            with self.lock:
                got = [m for m in self.messages if m[0] == rcpt]
            if len(got) >= n:
                return got
            time.sleep(0.05)
        raise AssertionError(f"no mail for {rcpt} within {seconds} s (got {len(got)})")


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"hubd" and auth_data.password == b"mail-pass-2026"
    return AuthResult(success=ok, handled=False)


def text_of(msg, subtype):
    part = msg.get_body(preferencelist=(subtype,))
    return part.get_content() if part else ""


def link_token(msg, path):
    m = re.search(re.escape("https://app.test" + path) + r"\?token=([A-Za-z0-9_.-]+)", text_of(msg, "plain"))
    if not m:
        raise AssertionError(f"no {path} link in:\n{text_of(msg, 'plain')}")
    return m.group(1)


class Mail(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="hub-mail-")
        make_ca(cls.tmp)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(f"{cls.tmp}/smtp.pem", f"{cls.tmp}/smtp.key")
        cls.sink = Sink()
        port = free_port()
        cls.smtp = Controller(cls.sink, hostname="127.0.0.1", port=port, tls_context=ctx, require_starttls=True,
                              authenticator=authenticator, auth_required=True, auth_require_tls=True)
        cls.smtp.start()
        with open(f"{cls.tmp}/smtp-password", "w") as f:
            f.write("mail-pass-2026\n")
        cls.gen = tempfile.mkdtemp(prefix="hub-mail-stubs-")
        generate_stubs(cls.gen)
        cls.stack = Stack(extra_env={
            "HUB_SMTP_URL": f"smtp://127.0.0.1:{port}", "HUB_SMTP_STARTTLS": "required",
            "HUB_SMTP_CA_FILE": f"{cls.tmp}/ca.pem", "HUB_SMTP_USERNAME": "hubd",
            "HUB_SMTP_PASSWORD_FILE": f"{cls.tmp}/smtp-password", "HUB_SMTP_FROM": "mail@smbhub.test",
            "HUB_NOTIFY_INTERVAL_MS": "100", "HUB_NOTIFY_RETRY_BASE_MS": "300", "HUB_NOTIFY_MAX_ATTEMPTS": "3",
            "HUB_PUBLIC_URL": "https://app.test"})
        cls.channel = grpc.insecure_channel(cls.stack.target)
        grpc.channel_ready_future(cls.channel).result(timeout=10)
        from hub.auth.v1 import auth_pb2_grpc
        from hub.notify.v1 import notify_pb2_grpc
        from hub.tenant.v1 import tenant_pb2_grpc
        cls.auth = auth_pb2_grpc.AuthStub(cls.channel)
        cls.tenant = tenant_pb2_grpc.TenantStub(cls.channel)
        cls.notify = notify_pb2_grpc.NotifyStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.stack.close()
        cls.smtp.stop()

    def signup(self, address, tenant_name=""):
        from hub.auth.v1 import auth_pb2
        self.auth.SignUp(auth_pb2.SignUpRequest(email=address, password="a long passphrase 2026",
                                                tenant_name=tenant_name), timeout=10)
        login = self.auth.Login(auth_pb2.LoginRequest(email=address, password="a long passphrase 2026"), timeout=10)
        return [("authorization", f"Bearer {login.tokens.access_token}")]

    def test_1_signup_mail_verifies_the_address(self):
        from hub.auth.v1 import auth_pb2
        self.signup("vera@example.com")
        rcpt, msg, facts = self.sink.wait("vera@example.com")[0]
        self.assertTrue(facts["tls"] and facts["auth"], facts)
        self.assertEqual(facts["mail_from"], "mail@smbhub.test")
        self.assertEqual(msg["Subject"], "Confirm your address for SMB Hub")
        self.assertEqual(msg.get_content_type(), "multipart/alternative")
        self.assertIn("mail@smbhub.test", msg["From"])
        self.assertRegex(msg["Message-ID"], r"^<[0-9a-f-]{36}@smbhub\.test>$")
        self.assertIn("<h2", text_of(msg, "html"))
        self.assertIsNone(msg["List-Unsubscribe"])  # a security notice cannot be turned off
        self.auth.VerifyEmail(auth_pb2.VerifyEmailRequest(token=link_token(msg, "/verify-email")), timeout=10)
        # Delivered: the body (which held the link) is gone, the outbox row's token too.
        self.assertEqual(self.stack.query("SELECT count(*) FROM notify_deliveries WHERE recipient = 'vera@example.com' "
                                          "AND state = 'delivered' AND body_text IS NULL AND body_html IS NULL"), "1")
        self.assertEqual(self.stack.query("SELECT count(*) FROM account_outbox o JOIN users u ON u.id = o.user_id "
                                          "WHERE u.email_norm = 'vera@example.com' AND o.payload ? 'token'"), "0")

    def test_2_invitation_mail_is_accepted(self):
        from hub.tenant.v1 import tenant_pb2
        owner = self.signup("olga@example.com", "Olga's Bakery")
        inv = self.tenant.InviteMember(tenant_pb2.InviteMemberRequest(email="ivan@example.com", role="member"),
                                       metadata=owner, timeout=10)
        rcpt, msg, _ = self.sink.wait("ivan@example.com")[0]
        self.assertEqual(msg["Subject"], "Olga's Bakery invited you to SMB Hub")
        self.assertIn("Olga&#39;s Bakery", text_of(msg, "html"))
        token = link_token(msg, "/invitations/accept")
        ivan = self.signup("ivan@example.com")
        member = self.tenant.AcceptInvitation(tenant_pb2.AcceptInvitationRequest(token=token), metadata=ivan, timeout=10)
        self.assertEqual(member.role, "member")
        self.assertTrue(inv.invitation_id)

    def test_3_password_reset_mail_resets(self):
        from hub.auth.v1 import auth_pb2
        self.signup("pia@example.com")
        self.auth.RequestPasswordReset(auth_pb2.RequestPasswordResetRequest(email="pia@example.com"), timeout=10)
        resets = [m for m in self.sink.wait("pia@example.com", n=2) if "password" in m[1]["Subject"].lower()]
        self.assertEqual(len(resets), 1)
        token = link_token(resets[0][1], "/reset-password")
        self.auth.ResetPassword(auth_pb2.ResetPasswordRequest(token=token, new_password="another passphrase 2026"),
                                timeout=10)
        self.auth.Login(auth_pb2.LoginRequest(email="pia@example.com", password="another passphrase 2026"), timeout=10)

    def test_4_a_temporary_failure_is_retried_and_sent_once(self):
        from hub.tenant.v1 import tenant_pb2
        with self.sink.lock:
            self.sink.replies["flaky@example.com"] = ["451 4.3.0 try again later"]
        owner = self.signup("fran@example.com", "Fran Co")
        self.tenant.InviteMember(tenant_pb2.InviteMemberRequest(email="flaky@example.com", role="member"),
                                 metadata=owner, timeout=10)
        self.sink.wait("flaky@example.com")
        time.sleep(1.0)  # a second copy would have come by now
        self.assertEqual(len(self.sink.wait("flaky@example.com")), 1)
        self.assertEqual(self.stack.query("SELECT attempts || ' ' || state FROM notify_deliveries "
                                          "WHERE recipient = 'flaky@example.com'"), "2 delivered")
        self.assertEqual(self.stack.query("SELECT string_agg(outcome, ',' ORDER BY n) FROM notify_attempts a JOIN "
                                          "notify_deliveries d ON d.id = a.delivery_id "
                                          "WHERE d.recipient = 'flaky@example.com'"), "retry,delivered")

    def test_5_a_permanent_refusal_is_dead_until_replayed(self):
        from hub.notify.v1 import notify_pb2
        from hub.tenant.v1 import tenant_pb2
        with self.sink.lock:
            self.sink.refuse["gone@example.com"] = "550 5.1.1 no such mailbox"
        owner = self.signup("gus@example.com", "Gus Co")
        self.tenant.InviteMember(tenant_pb2.InviteMemberRequest(email="gone@example.com", role="member"),
                                 metadata=owner, timeout=10)
        dead = None
        for _ in range(200):
            page = self.notify.ListDeliveries(notify_pb2.ListDeliveriesRequest(
                state=notify_pb2.DELIVERY_STATE_DEAD), metadata=owner, timeout=10)
            if page.deliveries:
                dead = page.deliveries[0]
                break
            time.sleep(0.05)
        self.assertIsNotNone(dead, "the refused mail never became dead")
        self.assertEqual(dead.address, "gone@example.com")
        self.assertEqual(dead.attempts, 1)  # a 5xx is not retried
        self.assertIn("550", dead.last_error)
        with self.sink.lock:
            del self.sink.refuse["gone@example.com"]
        again = self.notify.RetryDelivery(notify_pb2.RetryDeliveryRequest(id=dead.id), metadata=owner, timeout=10)
        self.assertEqual(again.state, notify_pb2.DELIVERY_STATE_PENDING)
        self.sink.wait("gone@example.com")
        for _ in range(200):
            if self.stack.query(f"SELECT state FROM notify_deliveries WHERE id = '{dead.id}'") == "delivered":
                break
            time.sleep(0.05)
        with self.assertRaises(grpc.RpcError) as err:  # delivered now: nothing to replay
            self.notify.RetryDelivery(notify_pb2.RetryDeliveryRequest(id=dead.id), metadata=owner, timeout=10)
        self.assertEqual(err.exception.code(), grpc.StatusCode.FAILED_PRECONDITION)
        self.assertIn("delivered", err.exception.details())

if __name__ == "__main__":
    unittest.main(verbosity=2)
