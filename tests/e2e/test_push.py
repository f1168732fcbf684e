#!/usr/bin/python3
"""Push notifications, end to end, against a local HTTPS server the test starts that plays an
FCM-style HTTP v1 API (POST /v1/projects/<p>/messages:send, a bearer token), with a certificate
from a CA made for this run. A ticket assigned to a member with two devices pushes to both, with
the title, body and link; a 503 is retried and delivered once; a 404 UNREGISTERED is dead at once
and the device is forgotten; preferences turn push off; another user cannot see or delete the
member's devices.

Run through ctest (tools/dev test), like test_e2e.py, whose stack and stubs it shares.
"""
import http.server
import json
import os
import ssl
import sys
import tempfile
import threading
import time
import unittest

import grpc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_e2e import Stack, free_port, generate_stubs  # noqa: E402
from test_mail import make_ca  # noqa: E402


class Provider(http.server.BaseHTTPRequestHandler):
    """The push API: records each message; per device token, a list of (status, body) answers to
    give before accepting."""
    lock = threading.Lock()
    received = []
    script = {}

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        token = body["message"]["token"]
        with Provider.lock:
            answers = Provider.script.get(token)
            status, reply = answers.pop(0) if answers else (200, {"name": f"projects/hub-test/messages/{time.time_ns()}"})
            Provider.received.append({"path": self.path, "auth": self.headers["Authorization"], "body": body,
                                      "status": status})
        data = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def accepted(token):
    with Provider.lock:
        return [r for r in Provider.received if r["body"]["message"]["token"] == token and r["status"] == 200]


def wait_for(what, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        got = what()
        if got:
            return got
        time.sleep(0.05)
    raise AssertionError("timed out")


UNREGISTERED = (404, {"error": {"code": 404, "message": "Requested entity was not found.", "status": "NOT_FOUND",
                                "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
                                             "errorCode": "UNREGISTERED"}]}})
UNAVAILABLE = (503, {"error": {"code": 503, "message": "The service is currently unavailable.", "status": "UNAVAILABLE"}})


class Push(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="hub-push-")
        make_ca(cls.tmp)
        port = free_port()
        cls.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), Provider)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(f"{cls.tmp}/smtp.pem", f"{cls.tmp}/smtp.key")
        cls.httpd.socket = ctx.wrap_socket(cls.httpd.socket, server_side=True)
        threading.Thread(target=cls.httpd.serve_forever, daemon=True).start()
        with open(f"{cls.tmp}/push-token", "w") as f:
            f.write("ya29.test-access-token\n")
        cls.gen = tempfile.mkdtemp(prefix="hub-push-stubs-")
        generate_stubs(cls.gen)
        cls.stack = Stack(extra_env={
            "HUB_PUSH_URL": f"https://127.0.0.1:{port}", "HUB_PUSH_PROJECT": "hub-test",
            "HUB_PUSH_TOKEN_FILE": f"{cls.tmp}/push-token", "HUB_PUSH_CA_FILE": f"{cls.tmp}/ca.pem",
            "HUB_NOTIFY_INTERVAL_MS": "100", "HUB_NOTIFY_RETRY_BASE_MS": "300", "HUB_PUBLIC_URL": "https://app.test"})
        cls.channel = grpc.insecure_channel(cls.stack.target)
        grpc.channel_ready_future(cls.channel).result(timeout=10)
        from hub.auth.v1 import auth_pb2, auth_pb2_grpc
        from hub.notify.v1 import notify_pb2_grpc
        from hub.ticket.v1 import ticket_pb2_grpc
        cls.auth = auth_pb2_grpc.AuthStub(cls.channel)
        cls.notify = notify_pb2_grpc.NotifyStub(cls.channel)
        cls.ticket = ticket_pb2_grpc.TicketStub(cls.channel)

        def signup(address, tenant=""):
            cls.auth.SignUp(auth_pb2.SignUpRequest(email=address, password="a long passphrase 2026", tenant_name=tenant),
                            timeout=10)
            login = cls.auth.Login(auth_pb2.LoginRequest(email=address, password="a long passphrase 2026"), timeout=10)
            bearer = [("authorization", f"Bearer {login.tokens.access_token}")]
            return cls.auth.WhoAmI(auth_pb2.WhoAmIRequest(), metadata=bearer, timeout=10).user_id, bearer
        cls.owner_id, cls.owner = signup("paula@example.com", "Paula's Plumbing")
        cls.other_id, cls.other = signup("otto@example.com", "Otto Co")

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.stack.close()
        cls.httpd.shutdown()

    def register(self, token, label):
        from hub.notify.v1 import notify_pb2
        return self.notify.RegisterDevice(notify_pb2.RegisterDeviceRequest(
            token=token, platform=notify_pb2.PLATFORM_ANDROID, label=label), metadata=self.owner, timeout=10)

    def assign_to_owner(self, subject):
        from hub.ticket.v1 import ticket_pb2
        t = self.ticket.CreateTicket(ticket_pb2.CreateTicketRequest(subject=subject), metadata=self.owner, timeout=10)
        return self.ticket.AssignTicket(ticket_pb2.AssignTicketRequest(id=t.id, assignee_id=self.owner_id),
                                        metadata=self.owner, timeout=10)

    def test_1_pushes_reach_every_device_and_a_503_is_retried(self):
        from hub.notify.v1 import notify_pb2
        phone, tablet = self.register("tok-phone", "Phone"), self.register("tok-tablet", "Tablet")
        with Provider.lock:
            Provider.script["tok-tablet"] = [UNAVAILABLE]
        t = self.assign_to_owner("Leaking tap")
        got = wait_for(lambda: accepted("tok-phone"))[0]
        self.assertEqual(got["path"], "/v1/projects/hub-test/messages:send")
        self.assertEqual(got["auth"], "Bearer ya29.test-access-token")
        msg = got["body"]["message"]
        self.assertEqual(msg["notification"]["title"], f"Ticket #{t.number} was assigned to you")
        self.assertIn("Leaking tap", msg["notification"]["body"])
        self.assertEqual(msg["data"], {"link": f"https://app.test/tickets/{t.number}", "topic": "ticket.assigned"})
        wait_for(lambda: accepted("tok-tablet"))
        time.sleep(0.8)  # a second copy would have come by now
        self.assertEqual(len(accepted("tok-phone")), 1)
        self.assertEqual(len(accepted("tok-tablet")), 1)
        self.assertEqual(self.stack.query(f"SELECT attempts || ' ' || state FROM notify_deliveries "
                                          f"WHERE channel = 'push' AND recipient = '{tablet.id}'"), "2 delivered")
        listed = self.notify.ListDevices(notify_pb2.ListDevicesRequest(), metadata=self.owner, timeout=10)
        self.assertEqual({d.label for d in listed.devices}, {"Phone", "Tablet"})
        self.assertTrue(all(d.last_used_time.seconds > 0 for d in listed.devices))
        self.assertNotIn("tok-phone", str(listed))  # tokens are never answered back
        self.assertEqual(phone.platform, notify_pb2.PLATFORM_ANDROID)

    def test_2_an_unregistered_token_is_dead_and_forgotten(self):
        from hub.notify.v1 import notify_pb2
        gone = self.register("tok-gone", "Old phone")
        with Provider.lock:
            Provider.script["tok-gone"] = [UNREGISTERED]
        self.assign_to_owner("Burst pipe")
        wait_for(lambda: self.stack.query(f"SELECT state FROM notify_deliveries WHERE recipient = '{gone.id}'") == "dead")
        self.assertEqual(self.stack.query(f"SELECT attempts || ' ' || last_error FROM notify_deliveries "
                                          f"WHERE recipient = '{gone.id}'"), "1 HTTP 404 UNREGISTERED")
        listed = self.notify.ListDevices(notify_pb2.ListDevicesRequest(), metadata=self.owner, timeout=10)
        self.assertNotIn("Old phone", {d.label for d in listed.devices})

    def test_3_preferences_and_isolation(self):
        from hub.notify.v1 import notify_pb2
        self.notify.UpdatePreferences(notify_pb2.UpdatePreferencesRequest(choices=[notify_pb2.Choice(
            topic="ticket.assigned", channel=notify_pb2.CHANNEL_PUSH, enabled=False)]), metadata=self.owner, timeout=10)
        before = len(accepted("tok-phone"))
        self.assign_to_owner("Quiet please")
        wait_for(lambda: self.stack.query("SELECT count(*) FROM outbox WHERE delivered_at IS NULL") == "0")
        time.sleep(0.5)
        self.assertEqual(len(accepted("tok-phone")), before)
        # Otto sees none of Paula's devices and cannot delete one.
        self.assertEqual(len(self.notify.ListDevices(notify_pb2.ListDevicesRequest(), metadata=self.other,
                                                     timeout=10).devices), 0)
        phone_id = self.stack.query("SELECT id FROM notify_devices WHERE token = 'tok-phone'")
        with self.assertRaises(grpc.RpcError) as err:
            self.notify.DeleteDevice(notify_pb2.DeleteDeviceRequest(id=phone_id), metadata=self.other, timeout=10)
        self.assertEqual(err.exception.code(), grpc.StatusCode.NOT_FOUND)
        self.notify.DeleteDevice(notify_pb2.DeleteDeviceRequest(id=phone_id), metadata=self.owner, timeout=10)


if __name__ == "__main__":
    unittest.main(verbosity=2)
