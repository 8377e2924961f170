#!/usr/bin/env python3
"""A bandwidth-limiting HTTP/1.1 relay for the benchmarks: a slow S3 server made of a fast one.

    throttle-relay.py UPSTREAM_HOST:PORT MIB_PER_S [PORT_FILE]

Listens on a free port of 127.0.0.1 (written to PORT_FILE, else printed) and forwards every
connection to UPSTREAM, letting at most MIB_PER_S MiB per second through in each direction (one
budget shared by all connections of a direction, like one slow link). It reads the request
framing (headers, then a Content-Length or chunked body) so that it can answer
`Expect: 100-continue` itself: it replies `100 Continue` at once and forwards the request without
that header (the AWS CLI sends it with every part and waits for the answer). Responses are
relayed as they come. Nothing is buffered beyond one 64 KiB read per direction.
"""
import asyncio
import sys
import time

CHUNK = 64 * 1024


class Budget:
    """A token bucket shared by the connections of one direction."""

    def __init__(self, rate):
        self.rate = rate
        self.next_free = time.monotonic()

    async def spend(self, n):
        now = time.monotonic()
        start = max(now, self.next_free)
        self.next_free = start + n / self.rate
        delay = self.next_free - now
        if delay > 0.001:
            await asyncio.sleep(delay)


async def send(writer, data, budget):
    await budget.spend(len(data))
    writer.write(data)
    await writer.drain()


async def copy_exact(reader, writer, count, budget):
    while count > 0:
        data = await reader.read(min(CHUNK, count))
        if not data:
            raise ConnectionError("client closed mid-body")
        count -= len(data)
        await send(writer, data, budget)


async def copy_chunked(reader, writer, budget):
    while True:
        line = await reader.readline()
        await send(writer, line, budget)
        size = int(line.split(b";")[0].strip() or b"0", 16)
        if size == 0:
            # Trailers up to the empty line.
            while True:
                trailer = await reader.readline()
                await send(writer, trailer, budget)
                if trailer in (b"\r\n", b"\n", b""):
                    return
        await copy_exact(reader, writer, size + 2, budget)


async def requests(client_reader, client_writer, server_writer, budget):
    """Client to server, one request at a time, answering Expect: 100-continue."""
    try:
        while True:
            head = await client_reader.readuntil(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            kept, length, chunked, expect = [], 0, False, False
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                key = name.strip().lower()
                if key == b"expect" and value.strip().lower() == b"100-continue":
                    expect = True
                    continue
                if key == b"content-length":
                    length = int(value.strip())
                if key == b"transfer-encoding" and b"chunked" in value.lower():
                    chunked = True
                kept.append(line)
            if expect:
                client_writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
                await client_writer.drain()
            await send(server_writer, b"\r\n".join([lines[0]] + kept), budget)
            if chunked:
                await copy_chunked(client_reader, server_writer, budget)
            else:
                await copy_exact(client_reader, server_writer, length, budget)
    except (asyncio.IncompleteReadError, ConnectionError, OSError):
        pass
    finally:
        server_writer.close()


async def responses(server_reader, client_writer, budget):
    try:
        while True:
            data = await server_reader.read(CHUNK)
            if not data:
                break
            await send(client_writer, data, budget)
    except (ConnectionError, OSError):
        pass
    finally:
        client_writer.close()


async def main():
    host, port = sys.argv[1].rsplit(":", 1)
    rate = float(sys.argv[2]) * 1024 * 1024
    up, down = Budget(rate), Budget(rate)

    async def handle(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            requests(client_reader, client_writer, server_writer, up),
            responses(server_reader, client_writer, down))

    server = await asyncio.start_server(handle, "127.0.0.1", 0, limit=1 << 20)
    listening = server.sockets[0].getsockname()[1]
    if len(sys.argv) > 3:
        with open(sys.argv[3] + ".tmp", "w") as f:
            f.write(f"{listening}\n")
        import os
        os.rename(sys.argv[3] + ".tmp", sys.argv[3])
    else:
        print(listening, flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
