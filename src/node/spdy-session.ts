// The server side of a SPDY/3.1 session, in the part Kubernetes' streaming protocols use (the
// client is kubectl's spdystream): the peer opens streams with SYN_STREAM and headers, each is
// answered with SYN_REPLY, then carries DATA both ways until each side sends FIN or either sends
// RST_STREAM; PING is echoed, GOAWAY ends the session; SETTINGS and WINDOW_UPDATE are read and
// not acted on (spdystream keeps no flow-control windows). Header blocks are zlib-compressed
// with the SPDY/3 dictionary, one compression context per direction for the whole session.
//
// Written here rather than taken from npm: no maintained SPDY library exists (spdy-transport's
// last release is from 2018, and it is built around HTTP requests, not raw streams).

import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import zlib from 'node:zlib';
import { SPDY3_DICTIONARY } from './spdy-dictionary.js';

const VERSION = 3;
const SYN_STREAM = 1;
const SYN_REPLY = 2;
const RST_STREAM = 3;
const PING = 6;
const GOAWAY = 7;
const HEADERS = 8;
const FLAG_FIN = 0x01;
const HEADER_BYTES = 8;
/** RST_STREAM status codes used here. */
export const RST_CANCEL = 5;
const MAX_DATA_BYTES = 64 << 10;
/** A frame larger than this (16 MiB is the format's own limit) ends the session. */
const MAX_FRAME_BYTES = 1 << 24;
/** A header block that inflates past this ends the session: headers here are a few short pairs. */
const MAX_HEADER_BLOCK_BYTES = 64 << 10;
/** Streams open at once in one session; more are refused (RST_STREAM REFUSED_STREAM). */
export const MAX_STREAMS = 512;
const RST_REFUSED_STREAM = 3;

export type SpdyHeaders = Record<string, string>;

/** One stream the peer opened. */
export class SpdyStream extends EventEmitter {
  /** The peer sent FIN: no more data comes. */
  remoteEnded = false;
  /** This side sent FIN. */
  localEnded = false;
  reset = false;

  constructor(
    readonly id: number,
    readonly headers: SpdyHeaders,
    private readonly session: SpdySession,
  ) {
    super();
  }

  write(data: Buffer): void {
    if (this.localEnded || this.reset) return;
    for (let at = 0; at < data.length; at += MAX_DATA_BYTES) this.session.sendData(this.id, data.subarray(at, at + MAX_DATA_BYTES), false);
  }

  /** Sends FIN (an empty DATA frame with the flag). */
  end(): void {
    if (this.localEnded || this.reset) return;
    this.localEnded = true;
    this.session.sendData(this.id, Buffer.alloc(0), true);
    this.session.forgetIfDone(this);
  }

  /** RST_STREAM: the stream ends at once, both ways. */
  cancel(): void {
    if (this.reset) return;
    this.reset = true;
    this.session.sendReset(this.id, RST_CANCEL);
    this.emit('close');
    this.session.forgetIfDone(this);
  }
}

export interface SpdySessionEvents {
  stream: [SpdyStream];
  close: [];
}

export class SpdySession extends EventEmitter<SpdySessionEvents> {
  private readonly streams = new Map<number, SpdyStream>();
  private readonly inflate = zlib.createInflate({ dictionary: SPDY3_DICTIONARY });
  private readonly deflate = zlib.createDeflate({ dictionary: SPDY3_DICTIONARY });
  private pending: Buffer = Buffer.alloc(0);
  /** Frames are handled, and written, one after another: header blocks share a zlib context. */
  private reading: Promise<void> = Promise.resolve();
  private writing: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly socket: Duplex) {
    super();
    socket.on('data', (chunk: Buffer) => this.received(chunk));
    // The peer's end of the connection ends the session (a half-open one would be held forever).
    socket.on('end', () => this.close());
    socket.on('close', () => this.close());
    socket.on('error', () => this.close());
    this.inflate.on('error', () => this.close());
    this.deflate.on('error', () => this.close());
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.streams.values()) {
      s.reset = true;
      s.emit('close');
    }
    this.streams.clear();
    this.socket.destroy();
    this.inflate.close();
    this.deflate.close();
    this.emit('close');
  }

  sendData(id: number, data: Buffer, fin: boolean): void {
    const frame = Buffer.alloc(HEADER_BYTES + data.length);
    frame.writeUInt32BE(id & 0x7fffffff, 0);
    frame.writeUInt32BE(((fin ? FLAG_FIN : 0) << 24) | data.length, 4);
    data.copy(frame, HEADER_BYTES);
    this.enqueueWrite(async () => frame);
  }

  sendReset(id: number, status: number): void {
    const body = Buffer.alloc(8);
    body.writeUInt32BE(id & 0x7fffffff, 0);
    body.writeUInt32BE(status, 4);
    this.enqueueWrite(async () => controlFrame(RST_STREAM, 0, body));
  }

  forgetIfDone(s: SpdyStream): void {
    if (s.reset || (s.localEnded && s.remoteEnded)) this.streams.delete(s.id);
  }

  private enqueueWrite(make: () => Promise<Buffer>): void {
    this.writing = this.writing.then(async () => {
      if (this.closed) return;
      const frame = await make();
      if (!this.closed) this.socket.write(frame);
    }).catch(() => this.close());
  }

  private received(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (this.pending.length >= HEADER_BYTES) {
      const length = this.pending.readUInt32BE(4) & 0xffffff;
      if (length > MAX_FRAME_BYTES) return this.close();
      if (this.pending.length < HEADER_BYTES + length) break;
      const frame = this.pending.subarray(0, HEADER_BYTES + length);
      this.pending = this.pending.subarray(HEADER_BYTES + length);
      this.reading = this.reading.then(() => this.handle(frame)).catch(() => this.close());
    }
  }

  private async handle(frame: Buffer): Promise<void> {
    if (this.closed) return;
    const control = (frame[0]! & 0x80) !== 0;
    const flags = frame[4]!;
    const body = frame.subarray(HEADER_BYTES);
    if (!control) return this.data(frame.readUInt32BE(0) & 0x7fffffff, flags, body);
    if ((frame.readUInt16BE(0) & 0x7fff) !== VERSION) return this.close();
    switch (frame.readUInt16BE(2)) {
      case SYN_STREAM:
        return this.synStream(body.readUInt32BE(0) & 0x7fffffff, flags, await this.headerBlock(body.subarray(10)));
      case HEADERS:
        // Read so that the compression context stays in step; nothing here uses late headers.
        await this.headerBlock(body.subarray(4));
        return;
      case RST_STREAM: {
        const s = this.streams.get(body.readUInt32BE(0) & 0x7fffffff);
        if (s) {
          s.reset = true;
          this.streams.delete(s.id);
          s.emit('close');
        }
        return;
      }
      case PING:
        this.enqueueWrite(async () => controlFrame(PING, 0, Buffer.from(body)));
        return;
      case GOAWAY:
        return this.close();
      default:
        // SETTINGS, WINDOW_UPDATE, and anything newer: nothing to do.
        return;
    }
  }

  private synStream(id: number, flags: number, headers: SpdyHeaders): void {
    if (this.streams.size >= MAX_STREAMS || this.streams.has(id)) return this.sendReset(id, RST_REFUSED_STREAM);
    const s = new SpdyStream(id, headers, this);
    this.streams.set(id, s);
    const reply = Buffer.alloc(4);
    reply.writeUInt32BE(id, 0);
    this.enqueueWrite(async () => controlFrame(SYN_REPLY, 0, Buffer.concat([reply, await this.compress({})])));
    this.emit('stream', s);
    if (flags & FLAG_FIN) this.remoteEnd(s);
  }

  private data(id: number, flags: number, body: Buffer): void {
    const s = this.streams.get(id);
    if (!s) return;
    if (body.length) s.emit('data', Buffer.from(body));
    if (flags & FLAG_FIN) this.remoteEnd(s);
  }

  private remoteEnd(s: SpdyStream): void {
    if (s.remoteEnded) return;
    s.remoteEnded = true;
    s.emit('end');
    this.forgetIfDone(s);
  }

  private async headerBlock(compressed: Buffer): Promise<SpdyHeaders> {
    const raw = await throughZlib(this.inflate, compressed, MAX_HEADER_BLOCK_BYTES);
    const headers: SpdyHeaders = {};
    let at = 4;
    const count = raw.readUInt32BE(0);
    for (let i = 0; i < count; i++) {
      const nameLength = raw.readUInt32BE(at);
      const name = raw.toString('utf8', at + 4, at + 4 + nameLength);
      at += 4 + nameLength;
      const valueLength = raw.readUInt32BE(at);
      // Several values of one name are NUL-separated: the first is the one read here.
      headers[name.toLowerCase()] = raw.toString('utf8', at + 4, at + 4 + valueLength).split('\0')[0]!;
      at += 4 + valueLength;
    }
    return headers;
  }

  private compress(headers: SpdyHeaders): Promise<Buffer> {
    const parts: Buffer[] = [uint32(Object.keys(headers).length)];
    for (const [name, value] of Object.entries(headers)) {
      const n = Buffer.from(name.toLowerCase());
      const v = Buffer.from(value);
      parts.push(uint32(n.length), n, uint32(v.length), v);
    }
    return throughZlib(this.deflate, Buffer.concat(parts));
  }
}

function controlFrame(type: number, flags: number, body: Buffer): Buffer {
  const head = Buffer.alloc(HEADER_BYTES);
  head.writeUInt16BE(0x8000 | VERSION, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt32BE((flags << 24) | body.length, 4);
  return Buffer.concat([head, body]);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n, 0);
  return b;
}

/** Feeds one block through a long-lived (de)compressor and returns what a sync flush gives back. */
function throughZlib(z: zlib.Inflate | zlib.Deflate, input: Buffer, maxBytes = Infinity): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    let size = 0;
    const onData = (d: Buffer) => {
      out.push(d);
      size += d.length;
      if (size > maxBytes) onError(new Error(`header block inflates past ${maxBytes} bytes`));
    };
    const onError = (err: Error) => {
      z.off('data', onData);
      reject(err);
    };
    z.on('data', onData);
    z.once('error', onError);
    z.write(input);
    z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      z.off('data', onData);
      z.off('error', onError);
      resolve(Buffer.concat(out));
    });
  });
}
