// The SPDY/3.1 session of the node's port forwarding (src/node/spdy-session.ts) against a client
// written here from the frame formats: a stream opened with compressed headers is answered with
// SYN_REPLY and carries data both ways to FIN; PING is echoed; and what a hostile client could
// send (a header block that inflates without end, a frame of another version, more streams than
// allowed) ends the session or refuses the stream instead of taking the node's memory.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { MAX_STREAMS, SpdySession, type SpdyStream } from '../../src/node/spdy-session.js';
import { SPDY3_DICTIONARY } from '../../src/node/spdy-dictionary.js';

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
};

function control(type: number, flags: number, body: Buffer, version = 3): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | version, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE((flags << 24) | body.length, 4);
  return Buffer.concat([head, body]);
}

function dataFrame(id: number, data: Buffer, fin = false): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(id, 0);
  head.writeUInt32BE(((fin ? 1 : 0) << 24) | data.length, 4);
  return Buffer.concat([head, data]);
}

/** The client's side of header compression: one context for the connection, as spdystream keeps. */
class Compressor {
  private readonly z = zlib.createDeflate({ dictionary: SPDY3_DICTIONARY });
  block(raw: Buffer): Promise<Buffer> {
    return new Promise((resolve) => {
      const out: Buffer[] = [];
      const on = (d: Buffer) => out.push(d);
      this.z.on('data', on);
      this.z.write(raw);
      this.z.flush(zlib.constants.Z_SYNC_FLUSH, () => (this.z.off('data', on), resolve(Buffer.concat(out))));
    });
  }
  headers(h: Record<string, string>): Promise<Buffer> {
    const parts = [u32(Object.keys(h).length)];
    for (const [k, v] of Object.entries(h)) parts.push(u32(k.length), Buffer.from(k), u32(v.length), Buffer.from(v));
    return this.block(Buffer.concat(parts));
  }
  close(): void {
    this.z.close();
  }
}

async function synStream(z: Compressor, id: number, headers: Record<string, string>, fin = false): Promise<Buffer> {
  return control(1, fin ? 1 : 0, Buffer.concat([u32(id), u32(0), Buffer.from([0, 0]), await z.headers(headers)]));
}

/** Frames as the client reads them: type (or 'data'), stream id, flags, body. */
function frames(socket: net.Socket): { next(): Promise<{ type: number | 'data'; id: number; flags: number; body: Buffer }>; closed: Promise<void> } {
  let buf = Buffer.alloc(0);
  const queue: { type: number | 'data'; id: number; flags: number; body: Buffer }[] = [];
  const waiting: ((f: (typeof queue)[number]) => void)[] = [];
  socket.on('data', (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    while (buf.length >= 8 && buf.length >= 8 + (buf.readUInt32BE(4) & 0xffffff)) {
      const len = buf.readUInt32BE(4) & 0xffffff;
      const isControl = (buf[0]! & 0x80) !== 0;
      const body = buf.subarray(8, 8 + len);
      const f = { type: isControl ? buf.readUInt16BE(2) : ('data' as const), id: isControl ? (body.length >= 4 ? body.readUInt32BE(0) & 0x7fffffff : 0) : buf.readUInt32BE(0), flags: buf[4]!, body };
      buf = buf.subarray(8 + len);
      const w = waiting.shift();
      if (w) w(f);
      else queue.push(f);
    }
  });
  const closed = new Promise<void>((r) => socket.on('close', () => r()));
  return { next: () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((r) => waiting.push(r))), closed };
}

describe('SPDY/3.1 session', () => {
  let server: net.Server;
  let port = 0;
  const sessions: SpdySession[] = [];

  before(async () => {
    // Each stream echoes what it receives and ends when the client does.
    server = net.createServer((socket) => {
      const s = new SpdySession(socket);
      sessions.push(s);
      s.on('stream', (stream: SpdyStream) => {
        stream.on('data', (d: Buffer) => stream.write(Buffer.concat([Buffer.from(`${stream.headers.streamtype}:`), d])));
        stream.on('end', () => stream.end());
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => {
    for (const s of sessions) s.close();
    server.close();
  });

  const connect = async () => {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    return { socket, read: frames(socket), z: new Compressor() };
  };

  it('answers SYN_STREAM with SYN_REPLY, carries data both ways to FIN, and echoes PING', async () => {
    const { socket, read, z } = await connect();
    socket.write(await synStream(z, 1, { streamtype: 'data', port: '7777', requestid: '0' }));
    const reply = await read.next();
    assert.deepEqual([reply.type, reply.id], [2, 1], 'SYN_REPLY for stream 1');
    socket.write(dataFrame(1, Buffer.from('hello')));
    const echoed = await read.next();
    assert.deepEqual([echoed.type, echoed.id, echoed.body.toString()], ['data', 1, 'data:hello'], 'the headers were read (streamtype) and the data came back');
    // A second stream on the same connection: the header compression context carries on.
    socket.write(await synStream(z, 3, { streamtype: 'error', port: '7777', requestid: '1' }));
    assert.deepEqual([(await read.next()).type], [2]);
    socket.write(control(6, 0, u32(42)));
    const ping = await read.next();
    assert.deepEqual([ping.type, ping.body.readUInt32BE(0)], [6, 42]);
    socket.write(dataFrame(1, Buffer.alloc(0), true));
    const fin = await read.next();
    assert.deepEqual([fin.type, fin.id, fin.flags & 1], ['data', 1, 1], 'FIN answered with FIN');
    socket.end();
    z.close();
    await read.closed;
  });

  it('ends the session on a header block that inflates past its limit, and on a frame of another version', async () => {
    const bomb = await connect();
    const huge = Buffer.concat([u32(1), u32(1), Buffer.from('x'), u32(1 << 20), Buffer.alloc(1 << 20, 'a')]);
    bomb.socket.write(control(1, 0, Buffer.concat([u32(1), u32(0), Buffer.from([0, 0]), await bomb.z.block(huge)])));
    await bomb.read.closed;
    bomb.z.close();

    const old = await connect();
    old.socket.write(control(6, 0, u32(1), 2));
    await old.read.closed;
    old.z.close();
  });

  it(`refuses streams past ${MAX_STREAMS} open at once with RST_STREAM`, async () => {
    const { socket, read, z } = await connect();
    for (let i = 0; i <= MAX_STREAMS; i++) socket.write(await synStream(z, 2 * i + 1, { streamtype: 'data', port: '1', requestid: String(i) }));
    let replies = 0;
    for (;;) {
      const f = await read.next();
      if (f.type === 2) replies++;
      if (f.type === 3) {
        assert.equal(f.id, 2 * MAX_STREAMS + 1, 'the one past the limit');
        assert.equal(f.body.readUInt32BE(4), 3, 'REFUSED_STREAM');
        break;
      }
    }
    assert.equal(replies, MAX_STREAMS);
    socket.destroy();
    z.close();
  });
});
