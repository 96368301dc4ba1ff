// One watch connection: reads the chunks of a plain HTTP(S) response and splits the event
// lines itself. client-node's Watch reads the response through node-fetch, a PassThrough and
// readline; on a burst of pod events that plumbing cost more CPU than the JSON parsing itself.
// `callback(type, object, event)` per event line, `done(err | null)` once when the connection
// ends, and the returned AbortController closes it (without `done`).

import http, { STATUS_CODES } from 'node:http';
import https from 'node:https';

type Json = Record<string, any>;

export type WatchCallback = (phase: string, apiObj: any, watchObj?: any) => void;
export type WatchDone = (err: any) => void;

export class LineWatch {
  constructor(
    private readonly base: URL,
    /** An https.Agent for an https server (http.Agent for a plain http one). */
    private readonly agent: http.Agent,
    private readonly headers: Record<string, string>,
  ) {}

  async watch(
    path: string,
    queryParams: Record<string, string | number | boolean | undefined>,
    callback: WatchCallback,
    done: WatchDone,
    /** told the answer's HTTP status once it comes, or `error` when none came */
    onStatus?: (code: number | 'error') => void,
  ): Promise<AbortController> {
    const url = new URL(path, this.base);
    url.searchParams.set('watch', 'true');
    for (const [k, v] of Object.entries(queryParams ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const controller = new AbortController();
    let finished = false;
    let answered = false;
    const finish = (err: unknown) => {
      if (finished) return;
      finished = true;
      if (!answered) onStatus?.('error');
      req.destroy();
      done(err ?? null);
    };
    const send = url.protocol === 'http:' ? http.request : https.request;
    const req = send(url, { method: 'GET', agent: this.agent, headers: { ...this.headers, Accept: 'application/json' } });
    controller.signal.addEventListener('abort', () => {
      finished = true;
      req.destroy();
    });
    req.on('socket', (socket) => socket.setKeepAlive(true, 30_000));
    req.on('error', finish);
    req.on('response', (res) => {
      answered = true;
      onStatus?.(res.statusCode ?? 0);
      res.setEncoding('utf8');
      if (res.statusCode !== 200) {
        let body = '';
        res.on('data', (d: string) => (body += d));
        res.on('end', () => finish(Object.assign(new Error(res.statusMessage || STATUS_CODES[res.statusCode ?? 500] || 'Internal Server Error'), { statusCode: res.statusCode, body })));
        res.on('error', finish);
        return;
      }
      let partial = '';
      res.on('data', (chunk: string) => {
        const text = partial + chunk;
        let start = 0;
        for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
          const line = text.slice(start, nl);
          start = nl + 1;
          if (line.length === 0) continue;
          let event: Json;
          try {
            event = JSON.parse(line);
          } catch {
            continue; // as client-node's Watch: a line that is not JSON is skipped
          }
          callback(event.type, event.object, event);
        }
        partial = text.slice(start);
      });
      res.on('end', () => finish(null));
      res.on('close', () => finish(null));
      res.on('error', finish);
    });
    req.end();
    return controller;
  }
}
