#!/usr/bin/python3
"""Hostile clients against the real hubd, and what they cost it in memory.

Starts its own database, Redis and hubd (the Stack of tests/e2e), then, on loopback only and
bounded in count and time, two storms, each with every socket held open until its end:
  1. non-HTTP/2 bytes (an HTTP/1.1 request, random bytes, a truncated preface) on raw sockets;
     bad frames after a valid preface (an oversized frame length, DATA on stream 0, a SETTINGS
     frame of the wrong size, an unknown frame type with a huge payload, a bad PING, a zero
     WINDOW_UPDATE); a gRPC message whose length prefix says 4 GiB; 5 MiB request bodies (over
     HUB_MAX_RECV_BYTES) through python3-grpcio, many at once; 500 idle HTTP/2 connections.
  2. 20,000 streams opened and reset at once (HEADERS then RST_STREAM) on four connections;
  3. CONTINUATION floods (a header block that never ends, 1 MiB of it on each of 8 connections).
It reads hubd's VmRSS from /proc/<pid>/status before, during (sampled every 20 ms) and after,
and asserts: hubd stays alive and answers Health/Check during and after each storm; after
storm 1 its RSS grew by less than 64 MiB at the peak; and within a few seconds of the
connections closing, after storms 1 and 2, RSS is back within 16 MiB of the baseline. (The
peaks of 2 and 3, and what 3 leaves, are reported, not bounded: see their tests.) Under AddressSanitizer (HUB_TEST_SANITIZED=1, set
by CMake) the RSS bounds are not asserted — ASan's shadow memory and quarantine inflate RSS —
but liveness is.

Run through ctest (tools/dev test), which provides HUBD_BIN, HUB_SOURCE_DIR and the HUB_TEST_*
variables of the private PostgreSQL cluster.
"""
import os
import random
import resource
import socket
import struct
import sys
import threading
import time
import unittest

import grpc
import h2.config
import h2.connection
import h2.exceptions

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from test_e2e import Stack  # noqa: E402  (the same fresh database + Redis + hubd)

MIB = 1 << 20
SANITIZED = os.environ.get("HUB_TEST_SANITIZED", "") not in ("", "0", "OFF", "off")
PEAK_GROWTH_LIMIT = 64 * MIB
SETTLE_LIMIT = 16 * MIB
SETTLE_SECONDS = 8
HEALTH = "/grpc.health.v1.Health/Check"
PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
IDLE_CONNECTIONS = 500
RESET_STREAMS = 20000
BIG_BODIES = 24


def rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def frame(ftype, flags, stream, payload):
    """One HTTP/2 frame header (RFC 9113 §4.1) with the given payload; the length is taken
    from the payload unless a bad one is the point."""
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


def bad_frame(length, ftype, flags, stream, payload):
    return struct.pack(">I", length)[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload


class Sampler(threading.Thread):
    """Samples hubd's RSS every 20 ms until stopped; keeps the peak."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.done = pid, 0, threading.Event()

    def run(self):
        while not self.done.is_set():
            try:
                self.peak = max(self.peak, rss(self.pid))
            except (OSError, RuntimeError):
                return
            time.sleep(0.02)


class H2Client:
    """A raw HTTP/2 client connection (python3-h2 does the framing and HPACK)."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
        self.conn.initiate_connection()
        self.flush()
        self.port = port

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def drain(self):
        """Reads what the server sent without blocking (so its writes never stall)."""
        self.sock.setblocking(False)
        try:
            while True:
                data = self.sock.recv(65536)
                if not data:
                    return False
                try:
                    self.conn.receive_data(data)
                except h2.exceptions.ProtocolError:
                    return False
        except (BlockingIOError, InterruptedError):
            return True
        except OSError:
            return False
        finally:
            self.sock.setblocking(True)

    def headers(self, stream, end_stream=False):
        hdrs = [(":method", "POST"), (":scheme", "http"), (":path", HEALTH), (":authority", f"127.0.0.1:{self.port}"),
                ("content-type", "application/grpc"), ("te", "trailers")]
        self.conn.send_headers(stream, hdrs, end_stream=end_stream)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def send_raw(port, data, hold):
    """Opens a socket, writes `data`, and keeps it open (appended to `hold`) or closes it."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(data)
    except OSError:
        pass
    hold.append(s)


class Hostile(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = min(hard, 8192)
        if soft < want:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))  # hubd inherits it
        cls.stack = Stack()
        cls.pid = cls.stack.procs[-1].pid
        cls.port = cls.stack.port

    @classmethod
    def tearDownClass(cls):
        cls.stack.close()

    def check_health(self, what, tries=1):
        """Health/Check on a new connection. With tries > 1, UNAVAILABLE (a GOAWAY: the core
        sheds connections while its memory quota is spent, as designed) is retried, as any gRPC
        client retries it; hubd must still be up and answer within the tries."""
        for attempt in range(tries):
            self.assertIsNone(self.stack.procs[-1].poll(), f"hubd died {what}")
            try:
                with grpc.insecure_channel(self.stack.target) as ch:
                    call = ch.unary_unary(HEALTH, request_serializer=None, response_deserializer=None)
                    resp = call(b"", timeout=10)
                break
            except grpc.RpcError as err:
                if err.code() != grpc.StatusCode.UNAVAILABLE or attempt == tries - 1:
                    raise
                print(f"  Health/Check {what}: {err.details()}; retrying", file=sys.stderr)
                time.sleep(0.5 * (attempt + 1))
        self.assertEqual(resp, b"\x08\x01", f"Health/Check {what}: not SERVING")  # status: SERVING

    # ---- the hostile clients; each leaves its sockets in `hold` ----
    def non_http2(self, hold):
        rnd = random.Random(7)
        for i in range(60):
            kind = i % 3
            if kind == 0:
                data = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
            elif kind == 1:
                data = bytes(rnd.getrandbits(8) for _ in range(4096))
            else:
                data = PREFACE[:10]
            send_raw(self.port, data, hold)

    def bad_frames(self, hold):
        settings = frame(4, 0, 0, b"")
        cases = [
            bad_frame(0xFFFFFF, 0, 0, 1, b"\x00" * 1024),        # DATA longer than any max frame size
            frame(0, 0, 0, b"\x00" * 64),                        # DATA on stream 0
            frame(4, 0, 0, b"\x00\x01\x02"),                     # SETTINGS not a multiple of 6
            bad_frame(1 << 20, 0xEE, 0, 0, b"\xab" * (1 << 16)), # unknown type, huge declared length
            frame(6, 0, 0, b"\x00" * 3),                         # PING of the wrong size
            frame(8, 0, 0, b"\x00\x00\x00\x00"),                 # WINDOW_UPDATE of 0
        ]
        for i in range(60):
            send_raw(self.port, PREFACE + settings + cases[i % len(cases)], hold)

    def header_flood(self, hold):
        """HEADERS without END_HEADERS, then 1 MiB of CONTINUATION frames, on 8 connections."""
        for _ in range(8):
            c = H2Client(self.port)
            c.headers(1)
            data = c.conn.data_to_send()
            # Clear END_HEADERS (0x4) on the HEADERS frame h2 built, then keep continuing.
            hdr = bytearray(data)
            off = 0
            while off < len(hdr):
                length = int.from_bytes(hdr[off:off + 3], "big")
                if hdr[off + 3] == 1:
                    hdr[off + 4] &= ~0x4
                off += 9 + length
            try:
                c.sock.sendall(bytes(hdr))
                cont = frame(9, 0, 1, b"\x40\x01a\x01b" * 2000)  # literal headers "a: b", 10 KB a frame
                for _ in range(100):
                    c.sock.sendall(cont)
            except OSError:
                pass
            hold.append(c.sock)


    def huge_prefix(self, hold):
        for _ in range(20):
            c = H2Client(self.port)
            c.drain()
            c.headers(1)
            try:
                c.conn.send_data(1, b"\x00\xff\xff\xff\xff" + b"\x00" * 16000)
                c.flush()
            except (h2.exceptions.ProtocolError, OSError):
                pass
            hold.append(c.sock)

    def big_bodies(self):
        body = b"\x0a" + b"\x00" * (5 * MIB)
        opts = [("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)]
        channels = [grpc.insecure_channel(self.stack.target, options=opts + [("grpc.channel_id", i)])
                    for i in range(6)]
        futures = []
        for i in range(BIG_BODIES):
            call = channels[i % len(channels)].unary_unary(HEALTH, request_serializer=None,
                                                          response_deserializer=None)
            futures.append(call.future(body, timeout=20))
        codes = set()
        for f in futures:
            try:
                f.result()
                codes.add(grpc.StatusCode.OK)
            except grpc.RpcError as e:
                codes.add(e.code())
        for ch in channels:
            ch.close()
        self.assertNotIn(grpc.StatusCode.OK, codes, "a 5 MiB request was accepted")

    def rapid_resets(self, hold):
        per_conn = RESET_STREAMS // 4
        for _ in range(4):
            c = H2Client(self.port)
            c.drain()
            stream = 1
            for i in range(per_conn):
                c.headers(stream)
                c.conn.reset_stream(stream)
                stream += 2
                if i % 200 == 199:
                    try:
                        c.flush()
                    except OSError:
                        break
                    if not c.drain():
                        break
            try:
                c.flush()
            except OSError:
                pass
            hold.append(c.sock)

    def idle(self, hold):
        for _ in range(IDLE_CONNECTIONS):
            c = H2Client(self.port)
            hold.append(c.sock)

    # ---- the tests ----
    def storm(self, phases, bound_peak, bound_after=True):
        """Runs the phases with their sockets held open, then closes them all; returns the
        baseline, peak and settled RSS. Asserts liveness throughout, and the bounds."""
        for _ in range(50):  # warm up: threads, their connections, first allocations
            self.check_health("at the start")
        time.sleep(1.5)  # let the idle workers trim the heap
        base = rss(self.pid)
        sampler = Sampler(self.pid)
        sampler.start()
        hold = []
        started = time.monotonic()
        try:
            for name, phase in phases:
                phase(hold)
                print(f"  after {name}: RSS {rss(self.pid) / MIB:.1f} MiB", file=sys.stderr)
            self.check_health("with every hostile connection open", tries=5)
        finally:
            for s in hold:
                try:
                    s.close()
                except OSError:
                    pass
        storm = time.monotonic() - started
        # Given back: poll until RSS is near the baseline again (or the time is up).
        after = rss(self.pid)
        deadline = time.monotonic() + SETTLE_SECONDS
        while time.monotonic() < deadline and after - base > SETTLE_LIMIT / 2:
            time.sleep(0.25)
            after = rss(self.pid)
        sampler.done.set()
        sampler.join()
        peak = sampler.peak
        self.check_health("after the hostile clients left")
        print(f"hubd RSS: baseline {base / MIB:.1f} MiB, peak {peak / MIB:.1f} MiB (+{(peak - base) / MIB:.1f}), "
              f"after {after / MIB:.1f} MiB (+{(after - base) / MIB:.1f}); storm {storm:.1f} s"
              f"{' (sanitized build: RSS bounds not asserted)' if SANITIZED else ''}", file=sys.stderr)
        if SANITIZED:
            return
        if bound_peak:
            self.assertLess(peak - base, PEAK_GROWTH_LIMIT, "RSS grew by 64 MiB or more under hostile clients")
        if bound_after:
            self.assertLess(after - base, SETTLE_LIMIT, "RSS did not come back near the baseline")

    def test_1_bounded_and_given_back(self):
        """Bad bytes, bad frames, a 4 GiB prefix, 5 MiB bodies, 500 idle connections: peak
        growth under 64 MiB, and back within 16 MiB of the baseline after they leave."""
        self.storm([("non-HTTP/2 bytes", self.non_http2), ("bad frames", self.bad_frames),
                    ("4 GiB prefix", self.huge_prefix), ("5 MiB bodies", lambda _: self.big_bodies()),
                    ("idle connections", self.idle)], bound_peak=True)

    def test_2_rapid_resets_given_back(self):
        """20,000 streams reset as soon as opened. gRPC 1.51 makes a call for every stream a
        client opens, reset or not, and bounds neither how many wait to be answered nor how
        fast a client may open them (later releases do: max pending requests, RST_STREAM
        limits), so the peak here is the backlog of calls the core made faster than they could
        be answered; it is reported, not bounded. What hubd owes: it stays up and answering,
        and the memory comes back once the clients are gone."""
        self.storm([("rapid resets", self.rapid_resets)], bound_peak=False)

    def test_3_header_floods_survived(self):
        """CONTINUATION floods: header blocks that never end. gRPC 1.51 keeps every header of
        an unfinished block (the metadata limit applies once it ends), so each MiB of flood
        costs ~14 MiB until the connection goes, and on a loaded machine ~19 MiB of it has been
        seen to stay allocated afterwards (not yet explained). hubd must stay up and answering;
        RSS is reported."""
        self.storm([("header floods", self.header_flood)], bound_peak=False, bound_after=False)


if __name__ == "__main__":
    unittest.main(verbosity=2)
