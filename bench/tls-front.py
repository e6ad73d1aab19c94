#!/usr/bin/env python3
"""TLS in front of moto, and an HTTPS proxy, for bench/run's cold runs over TLS.

    tls-front.py CERT KEY MOTO_PORT OKTA_TLS_PORT PORTFILE LOGFILE

* STS port: terminates TLS (CERT, signed by the bench's own CA) and forwards the bytes to
  moto on 127.0.0.1:MOTO_PORT; aws-okta reaches it as AWS_ENDPOINT_URL_STS=https://127.0.0.1:P.
* Proxy port: an HTTP CONNECT proxy, as a corporate HTTPS_PROXY is. A tool whose STS endpoint is
  built in (segmentio/aws-okta: https://sts[.REGION].amazonaws.com) reaches moto through it:
  `CONNECT sts...amazonaws.com:443` is tunnelled to the STS port above, and `CONNECT
  <okta host>:443` to the fake Okta's own TLS port (OKTA_TLS_PORT). The tunnel only copies
  bytes: TLS runs end to end between the tool and the TLS server, as through a real proxy.
  Any other host is refused (403), so nothing leaves the machine.

Writes "STS_PORT PROXY_PORT" to PORTFILE once both listen; logs one line per connection.
"""
import asyncio
import ssl
import sys

cert, key, moto_port, okta_port, portfile, logfile = sys.argv[1:7]
moto_port, okta_port = int(moto_port), int(okta_port)
log = open(logfile, "a", buffering=1)


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def splice(r1, w1, r2, w2):
    await asyncio.gather(pipe(r1, w2), pipe(r2, w1))


async def sts(reader, writer):
    log.write("sts tls\n")
    try:
        ur, uw = await asyncio.open_connection("127.0.0.1", moto_port)
    except OSError:
        writer.close()
        return
    await splice(reader, writer, ur, uw)


async def connect_proxy(reader, writer, sts_port):
    head = await reader.readuntil(b"\r\n\r\n")
    line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = line.split()
    host = parts[1].rsplit(":", 1)[0] if len(parts) == 3 and parts[0] == "CONNECT" else ""
    if host.startswith("sts.") and host.endswith(".amazonaws.com"):
        port = sts_port
    elif host and not host.endswith(".amazonaws.com"):
        port = okta_port
    else:
        port = None
    log.write(f"proxy {line} -> {port}\n")
    if port is None:
        writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()
        return
    ur, uw = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
    await writer.drain()
    await splice(reader, writer, ur, uw)


async def main():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    sts_server = await asyncio.start_server(sts, "127.0.0.1", 0, ssl=ctx, backlog=256)
    sts_port = sts_server.sockets[0].getsockname()[1]
    proxy = await asyncio.start_server(
        lambda r, w: connect_proxy(r, w, sts_port), "127.0.0.1", 0, backlog=256)
    proxy_port = proxy.sockets[0].getsockname()[1]
    with open(portfile + ".tmp", "w") as f:
        f.write(f"{sts_port} {proxy_port}\n")
    import os
    os.replace(portfile + ".tmp", portfile)
    await asyncio.gather(sts_server.serve_forever(), proxy.serve_forever())


asyncio.run(main())
