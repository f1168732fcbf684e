#!/usr/bin/python3
"""End to end with callers nobody here wrote: Debian's python3-grpcio with stubs generated
from proto/ at test time, a client that knows nothing but what reflection tells it, and the
buf CLI (a reflection-driven client like grpcurl). Starts its own database, Redis and hubd.

Run through ctest (tools/dev test), which provides HUBD_BIN, HUB_SOURCE_DIR and the
HUB_TEST_* variables of the private PostgreSQL cluster.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import grpc

SRC = os.environ.get("HUB_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
INCLUDES = [os.path.join(SRC, "proto"), "/usr/share/grpc-proto", "/usr/include",
            "/usr/share/gocode/src/github.com/gogo/googleapis"]
PROTOS = ["hub/system/v1/system.proto", "hub/api/v1/access.proto", "hub/api/v1/rules.proto", "hub/api/v1/types.proto",
          "hub/auth/v1/auth.proto", "hub/tenant/v1/tenant.proto", "hub/operations/v1/operations.proto",
          "hub/ticket/v1/ticket.proto", "hub/notify/v1/notify.proto", "grpc/health/v1/health.proto",
          "grpc/reflection/v1/reflection.proto", "grpc/reflection/v1alpha/reflection.proto",
          "google/rpc/status.proto", "google/rpc/error_details.proto"]


def need(name):
    value = os.environ.get(name)
    if not value:
        sys.exit(f"{name} is not set: run the end-to-end tests with tools/dev test")
    return value


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, seconds=15):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


class Stack:
    """A fresh database, a private Redis and hubd, torn down at the end."""

    def __init__(self, extra_env=None):
        self.tmp = tempfile.mkdtemp(prefix="hub-e2e-")
        self.procs = []
        host, pg_port = need("HUB_TEST_PG_HOST"), need("HUB_TEST_PG_PORT")
        self.admin = need("HUB_TEST_PG_ADMIN_URL")
        self.db = f"hube2e_{os.getpid()}"
        self.psql(f"DROP DATABASE IF EXISTS {self.db}")
        self.psql(f"CREATE DATABASE {self.db} OWNER hub_owner")
        redis_port = free_port()
        self.spawn([need("HUB_TEST_REDIS_SERVER"), "--port", str(redis_port), "--bind", "127.0.0.1",
                    "--save", "", "--appendonly", "no"], "redis.log", redis_port)
        self.port = free_port()
        self.env = dict(os.environ,
                        HUB_LISTEN=f"127.0.0.1:{self.port}",
                        HUB_DATABASE_URL=f"postgresql://hubd@{host}:{pg_port}/{self.db}",
                        HUB_MIGRATE_DATABASE_URL=f"postgresql://hub_owner@{host}:{pg_port}/{self.db}",
                        HUB_REDIS_URL=f"redis://127.0.0.1:{redis_port}/0", **(extra_env or {}))
        hubd = need("HUBD_BIN")
        subprocess.run([hubd, "migrate"], env=self.env, check=True, capture_output=True)
        self.spawn([hubd], "hubd.log", self.port, env=self.env)
        self.target = f"127.0.0.1:{self.port}"

    def query(self, sql):
        """The first value of a query on the stack's database, as the admin (text)."""
        url = self.admin.rsplit("/", 1)[0] + "/" + self.db
        out = subprocess.run(["psql", "-X", "-tA", "-v", "ON_ERROR_STOP=1", url, "-c", sql], check=True,
                             capture_output=True, text=True)
        return out.stdout.strip()

    def psql(self, sql):
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", self.admin, "-c", sql], check=True,
                       capture_output=True)

    def spawn(self, argv, log, port, env=None):
        with open(os.path.join(self.tmp, log), "w") as out:
            proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env)
        self.procs.append(proc)
        try:
            wait_port(port, proc)
        except RuntimeError:
            print(open(os.path.join(self.tmp, log)).read()[-3000:], file=sys.stderr)
            raise

    def close(self):
        for proc in reversed(self.procs):
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        try:
            self.psql(f"DROP DATABASE IF EXISTS {self.db} WITH (FORCE)")
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)


def generate_stubs(out):
    """Python stubs from proto/ with Debian's protoc and grpc_python_plugin."""
    cmd = ["protoc", *[f"-I{i}" for i in INCLUDES], f"--python_out={out}", f"--grpc_python_out={out}",
           "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin", *PROTOS]
    subprocess.run(cmd, check=True)
    sys.path.insert(0, out)
    # grpcio owns the top-level "grpc" package; let our generated grpc.health/grpc.reflection
    # modules live beside it.
    grpc.__path__.append(os.path.join(out, "grpc"))


class EndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.gen = tempfile.mkdtemp(prefix="hub-e2e-stubs-")
        generate_stubs(cls.gen)
        cls.stack = Stack()
        cls.channel = grpc.insecure_channel(cls.stack.target)
        grpc.channel_ready_future(cls.channel).result(timeout=10)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.stack.close()
        shutil.rmtree(cls.gen, ignore_errors=True)

    # ---- health ----
    def test_health(self):
        from grpc.health.v1 import health_pb2, health_pb2_grpc
        stub = health_pb2_grpc.HealthStub(self.channel)
        for service in ("", "hub.system.v1.System", "grpc.health.v1.Health"):
            resp = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            self.assertEqual(resp.status, health_pb2.HealthCheckResponse.SERVING, service)
        with self.assertRaises(grpc.RpcError) as err:
            stub.Check(health_pb2.HealthCheckRequest(service="no.such.Service"), timeout=5)
        self.assertEqual(err.exception.code(), grpc.StatusCode.NOT_FOUND)
        stream = stub.Watch(health_pb2.HealthCheckRequest(service=""), timeout=5)
        self.assertEqual(next(stream).status, health_pb2.HealthCheckResponse.SERVING)
        stream.cancel()

    # ---- the generated stub ----
    def test_get_info_and_request_id(self):
        from hub.system.v1 import system_pb2, system_pb2_grpc
        stub = system_pb2_grpc.SystemStub(self.channel)
        resp, call = stub.GetInfo.with_call(system_pb2.GetInfoRequest(), timeout=5,
                                            metadata=[("x-request-id", "py-e2e-1")])
        self.assertRegex(resp.version, r"^\d+\.\d+\.\d+$")
        self.assertGreaterEqual(resp.schema_version, 1)
        self.assertEqual(resp.request_id, "py-e2e-1")
        self.assertIn(("x-request-id", "py-e2e-1"), call.initial_metadata())
        self.assertGreater(resp.server_time.seconds, 1700000000)

    # ---- refusals ----
    def raw(self, path, payload):
        call = self.channel.unary_unary(path, request_serializer=None, response_deserializer=None)
        return call(payload, timeout=10)

    def test_unknown_method(self):
        with self.assertRaises(grpc.RpcError) as err:
            self.raw("/hub.system.v1.System/Nope", b"")
        self.assertEqual(err.exception.code(), grpc.StatusCode.UNIMPLEMENTED)

    def test_garbage_is_invalid_argument_with_details(self):
        from google.rpc import status_pb2
        with self.assertRaises(grpc.RpcError) as err:
            self.raw("/hub.system.v1.System/GetInfo", b"\xff\xff\xff\xff\x0f\x12\x99")
        self.assertEqual(err.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        details = dict(err.exception.trailing_metadata()).get("grpc-status-details-bin")
        self.assertIsNotNone(details, "no grpc-status-details-bin trailer")
        status = status_pb2.Status.FromString(details)
        self.assertEqual(status.code, grpc.StatusCode.INVALID_ARGUMENT.value[0])
        self.assertIn("GetInfoRequest", status.message)

    def test_oversized_is_resource_exhausted(self):
        with self.assertRaises(grpc.RpcError) as err:
            self.raw("/hub.system.v1.System/GetInfo", b"\x00" * (5 << 20))
        self.assertEqual(err.exception.code(), grpc.StatusCode.RESOURCE_EXHAUSTED)

    # ---- reflection, both versions, and a client that has no .proto at hand ----
    def reflect(self, version, **request):
        if version == "v1":
            from grpc.reflection.v1 import reflection_pb2 as pb, reflection_pb2_grpc as rpc
        else:
            from grpc.reflection.v1alpha import reflection_pb2 as pb, reflection_pb2_grpc as rpc
        stub = rpc.ServerReflectionStub(self.channel)
        return next(stub.ServerReflectionInfo(iter([pb.ServerReflectionRequest(**request)]), timeout=10))

    def test_reflection_lists_services(self):
        want = {"grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
                "grpc.reflection.v1alpha.ServerReflection", "hub.system.v1.System",
                "hub.auth.v1.Auth", "hub.tenant.v1.Tenant"}
        for version in ("v1", "v1alpha"):
            resp = self.reflect(version, list_services="")
            names = {s.name for s in resp.list_services_response.service}
            self.assertTrue(want <= names, f"{version}: {names}")

    def test_reflection_files_and_a_dynamic_call(self):
        from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
        for version in ("v1", "v1alpha"):
            resp = self.reflect(version, file_containing_symbol="hub.system.v1.System")
            files = [descriptor_pb2.FileDescriptorProto.FromString(b)
                     for b in resp.file_descriptor_response.file_descriptor_proto]
            names = [f.name for f in files]
            for need_file in ("hub/system/v1/system.proto", "hub/api/v1/access.proto",
                              "google/protobuf/timestamp.proto", "google/protobuf/descriptor.proto"):
                self.assertIn(need_file, names, version)
            system = files[names.index("hub/system/v1/system.proto")]
            comments = " ".join(loc.leading_comments for loc in system.source_code_info.location)
            self.assertIn("GetInfo returns the server's version", comments)
        # Build types from what reflection said, and call GetInfo with them.
        pool = descriptor_pool.DescriptorPool()
        for f in files:  # dependencies come first
            pool.Add(f)
        method = pool.FindServiceByName("hub.system.v1.System").FindMethodByName("GetInfo")
        factory = message_factory.MessageFactory(pool)  # protobuf 3.21 (Debian 12)
        req_cls = factory.GetPrototype(method.input_type)
        resp_cls = factory.GetPrototype(method.output_type)
        call = self.channel.unary_unary("/hub.system.v1.System/GetInfo",
                                        request_serializer=req_cls.SerializeToString,
                                        response_deserializer=resp_cls.FromString)
        self.assertGreaterEqual(call(req_cls(), timeout=5).schema_version, 1)

    def test_reflection_serves_field_rules(self):
        # The field rules ride in the served descriptors, readable as the option they are.
        from google.protobuf import descriptor_pb2
        from hub.api.v1 import rules_pb2
        resp = self.reflect("v1", file_containing_symbol="hub.ticket.v1.CreateTicketRequest")
        files = {f.name: f for f in (descriptor_pb2.FileDescriptorProto.FromString(b)
                                     for b in resp.file_descriptor_response.file_descriptor_proto)}
        self.assertIn("hub/api/v1/rules.proto", files)
        ticket = files["hub/ticket/v1/ticket.proto"]
        create = next(m for m in ticket.message_type if m.name == "CreateTicketRequest")
        subject = next(f for f in create.field if f.name == "subject")
        rules = subject.options.Extensions[rules_pb2.rules]
        self.assertTrue(rules.required)
        self.assertEqual(rules.max_len, 500)
        self.assertEqual(rules.chars, rules_pb2.CHAR_CLASS_LINE)

    def test_reflection_unknown_symbol(self):
        resp = self.reflect("v1", file_containing_symbol="no.such.Thing")
        self.assertEqual(resp.error_response.error_code, grpc.StatusCode.NOT_FOUND.value[0])

    # ---- identity through Python stubs: sign up, log in, call as the user, refresh, refusals ----
    def test_identity_flow(self):
        from google.rpc import error_details_pb2, status_pb2
        from hub.auth.v1 import auth_pb2, auth_pb2_grpc
        from hub.tenant.v1 import tenant_pb2, tenant_pb2_grpc
        auth = auth_pb2_grpc.AuthStub(self.channel)
        tenant = tenant_pb2_grpc.TenantStub(self.channel)
        auth.SignUp(auth_pb2.SignUpRequest(email="py@example.com", password="python-passphrase-31",
                                           tenant_name="Python Shop", brand="addvive"), timeout=10)
        login = auth.Login(auth_pb2.LoginRequest(email="PY@example.com", password="python-passphrase-31"), timeout=10)
        self.assertFalse(login.mfa_required)
        bearer = [("authorization", f"Bearer {login.tokens.access_token}")]
        me = auth.WhoAmI(auth_pb2.WhoAmIRequest(), metadata=bearer, timeout=5)
        self.assertEqual(me.role, "owner")
        self.assertEqual(me.brand, "addvive")
        self.assertEqual(me.tenant_id, login.tokens.tenant_id)
        access = tenant.GetMyAccess(tenant_pb2.GetMyAccessRequest(), metadata=bearer, timeout=5)
        self.assertEqual([t.tenant_id for t in access.tenants], [me.tenant_id])
        pair = auth.Refresh(auth_pb2.RefreshRequest(refresh_token=login.tokens.refresh_token), timeout=5)
        self.assertNotEqual(pair.refresh_token, login.tokens.refresh_token)
        # Refusals: no token, a bad field (named in google.rpc.BadRequest), a wrong password.
        with self.assertRaises(grpc.RpcError) as err:
            auth.WhoAmI(auth_pb2.WhoAmIRequest(), timeout=5)
        self.assertEqual(err.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
        with self.assertRaises(grpc.RpcError) as err:
            auth.SignUp(auth_pb2.SignUpRequest(email="nope", password="python-passphrase-31"), timeout=5)
        self.assertEqual(err.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        status = status_pb2.Status.FromString(dict(err.exception.trailing_metadata())["grpc-status-details-bin"])
        bad = error_details_pb2.BadRequest()
        self.assertTrue(any(d.Unpack(bad) for d in status.details))
        self.assertEqual(bad.field_violations[0].field, "email")
        with self.assertRaises(grpc.RpcError) as err:
            auth.Login(auth_pb2.LoginRequest(email="py@example.com", password="wrong-passphrase-00"), timeout=10)
        self.assertEqual(err.exception.code(), grpc.StatusCode.UNAUTHENTICATED)
        jwks = json.loads(auth.GetJwks(auth_pb2.GetJwksRequest(), timeout=5).jwks_json)
        self.assertEqual(jwks["keys"][0]["alg"], "ES256")

    def test_ticket_flow(self):
        from hub.auth.v1 import auth_pb2, auth_pb2_grpc
        from hub.ticket.v1 import ticket_pb2, ticket_pb2_grpc
        auth = auth_pb2_grpc.AuthStub(self.channel)
        auth.SignUp(auth_pb2.SignUpRequest(email="desk@example.com", password="python-passphrase-32",
                                           tenant_name="Desk Shop", brand="exakeep"), timeout=10)
        login = auth.Login(auth_pb2.LoginRequest(email="desk@example.com", password="python-passphrase-32"), timeout=10)
        bearer = [("authorization", f"Bearer {login.tokens.access_token}")]
        desk = ticket_pb2_grpc.TicketStub(self.channel)
        t = desk.CreateTicket(ticket_pb2.CreateTicketRequest(subject="Printer on fire", tags=["Hardware"],
                                                             priority=ticket_pb2.PRIORITY_URGENT,
                                                             request_id="0190a000-0000-7000-8000-00000000e2e0"),
                              metadata=bearer, timeout=5)
        self.assertEqual(t.number, 1)
        self.assertEqual(list(t.tags), ["hardware"])
        again = desk.CreateTicket(ticket_pb2.CreateTicketRequest(subject="x", request_id="0190a000-0000-7000-8000-00000000e2e0"),
                                  metadata=bearer, timeout=5)
        self.assertEqual(again.id, t.id)
        from google.protobuf import field_mask_pb2
        upd = desk.UpdateTicket(ticket_pb2.UpdateTicketRequest(
            ticket=ticket_pb2.TicketInfo(id=t.id, status=ticket_pb2.STATUS_OPEN),
            update_mask=field_mask_pb2.FieldMask(paths=["status"]), etag=t.etag), metadata=bearer, timeout=5)
        self.assertEqual(upd.status, ticket_pb2.STATUS_OPEN)
        with self.assertRaises(grpc.RpcError) as err:  # the etag is now stale
            desk.UpdateTicket(ticket_pb2.UpdateTicketRequest(
                ticket=ticket_pb2.TicketInfo(id=t.id, status=ticket_pb2.STATUS_SOLVED),
                update_mask=field_mask_pb2.FieldMask(paths=["status"]), etag=t.etag), metadata=bearer, timeout=5)
        self.assertEqual(err.exception.code(), grpc.StatusCode.ABORTED)
        page = desk.ListTickets(ticket_pb2.ListTicketsRequest(statuses=[ticket_pb2.STATUS_OPEN]), metadata=bearer, timeout=5)
        self.assertEqual([x.id for x in page.tickets], [t.id])
        # One request in two parts, as the wire allows: the second part of `ticket` carries the
        # priority (an enum), the first its id. A parser must merge them; hubd sees both.
        part1 = ticket_pb2.UpdateTicketRequest(ticket=ticket_pb2.TicketInfo(id=t.id), etag=upd.etag)
        part2 = ticket_pb2.UpdateTicketRequest(ticket=ticket_pb2.TicketInfo(priority=ticket_pb2.PRIORITY_LOW),
                                               update_mask=field_mask_pb2.FieldMask(paths=["priority"]))
        call = self.channel.unary_unary("/hub.ticket.v1.Ticket/UpdateTicket", request_serializer=None,
                                        response_deserializer=ticket_pb2.TicketInfo.FromString)
        split = call(part1.SerializeToString() + part2.SerializeToString(), metadata=bearer, timeout=5)
        self.assertEqual(split.id, t.id)
        self.assertEqual(split.priority, ticket_pb2.PRIORITY_LOW)
        # Another tenant's team, or a team of nobody: NOT_FOUND naming the field.
        with self.assertRaises(grpc.RpcError) as err:
            desk.UpdateTicket(ticket_pb2.UpdateTicketRequest(
                ticket=ticket_pb2.TicketInfo(id=t.id, team_id="0190a000-0000-7000-8000-0000000000ee"),
                update_mask=field_mask_pb2.FieldMask(paths=["team_id"]), etag=split.etag), metadata=bearer, timeout=5)
        self.assertEqual(err.exception.code(), grpc.StatusCode.NOT_FOUND)
        self.assertEqual(err.exception.details(), "ticket.team_id: no such team")
        # Ill-formed UTF-8 (protobuf refuses to build it, so the bytes are written by hand):
        # field 1 (subject) of CreateTicketRequest holding Latin-1 "caf\xe9".
        from google.rpc import status_pb2
        with self.assertRaises(grpc.RpcError) as err:
            self.channel.unary_unary("/hub.ticket.v1.Ticket/CreateTicket", request_serializer=None,
                                     response_deserializer=None)(b"\x0a\x04caf\xe9", metadata=bearer, timeout=5)
        self.assertEqual(err.exception.code(), grpc.StatusCode.INVALID_ARGUMENT)
        details = status_pb2.Status.FromString(dict(err.exception.trailing_metadata())["grpc-status-details-bin"])
        self.assertIn("not valid UTF-8", details.message)

    # ---- buf curl: a reflection-driven client like grpcurl ----
    def buf(self, *args):
        buf = os.path.join(SRC, "tools", "node_modules", ".bin", "buf")
        if not os.access(buf, os.X_OK):
            self.fail("the buf CLI is not installed: run the tests with tools/dev test")
        base = [buf, "curl", "--protocol", "grpc", "--http2-prior-knowledge"]
        out = subprocess.run(base + list(args), capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stdout

    def test_buf_curl(self):
        url = f"http://{self.stack.target}"
        for proto in ("grpc-v1", "grpc-v1alpha"):
            services = self.buf("--reflect-protocol", proto, "--list-services", url).split()
            self.assertIn("hub.system.v1.System", services)
            self.assertIn("grpc.health.v1.Health", services)
            methods = self.buf("--reflect-protocol", proto, "--list-methods", url).split()
            self.assertIn("hub.system.v1.System/GetInfo", methods)
            info = json.loads(self.buf("--reflect-protocol", proto, "-d", "{}",
                                       f"{url}/hub.system.v1.System/GetInfo"))
            self.assertIn("version", info)
            health = json.loads(self.buf("--reflect-protocol", proto, "-d", '{"service":""}',
                                         f"{url}/grpc.health.v1.Health/Check"))
            self.assertEqual(health.get("status"), "SERVING")
            self.assertIn("hub.auth.v1.Auth/Login", methods)
            jwks = json.loads(self.buf("--reflect-protocol", proto, "-d", "{}", f"{url}/hub.auth.v1.Auth/GetJwks"))
            self.assertIn("ES256", jwks.get("jwksJson", ""))


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() and result.testsRun > 0 else 1)
