// Runs many SSE subscriptions of one client library in one Node process, driven by JSON commands
// on stdin, and prints one JSON line per thing that happens, each tagged with its subscription, so
// the interop suite (dev.sluice.interop) can run every scenario of a client at once.
//
//   node interop.mjs            then, one per line on stdin:
//   {"op":"open","sub":"s1","client":"eventsource"|"undici"|"parser","url":URL,
//    "headers":{...},"types":["quote"],"transport":"h1"|"h2"|"h2c","ca":PEM,"lastEventId":null}
//   {"op":"close","sub":"s1"}
//
// Lines out: {"sub","kind":"open"} per (re)connection; {"kind":"event","type","data","lastEventId"}
// per dispatched event; {"kind":"error","message","closed"} per error the client reports;
// {"kind":"request","lastEventId"} per HTTP request with the Last-Event-ID it carried;
// {"kind":"protocol","value":"HTTP/1.1"|"HTTP/2"} per connection where it is observed; for the
// parser also "comment", "retry", "parse-error" (eventsource-parser's unknown field or invalid
// retry), "lint" (invalid UTF-8, a byte order mark) and "end" when the server ended the body.
// Every line has "t", the time in milliseconds. The process ends when stdin closes.
import process from 'node:process';
import readline from 'node:readline';

const subs = new Map();

function emit(sub, obj) {
  process.stdout.write(JSON.stringify({ sub, t: Date.now(), ...obj }) + '\n');
}

process.on('uncaughtException', e => emit(null, { kind: 'error', message: 'uncaught: ' + (e && e.stack || e) }));
process.on('unhandledRejection', e => emit(null, { kind: 'error', message: 'unhandled: ' + (e && e.stack || e) }));

/**
 * The undici dispatcher for a subscription, by its transport: "h1" (HTTP/1.1, over TLS for an
 * https URL), "h2" (HTTP/2 offered by ALPN over TLS, trusting the PEM certificate in cmd.ca) or
 * "h2c" (HTTP/2 in cleartext by prior knowledge). It reports the protocol each connection really
 * speaks (the ALPN result undici itself goes by) and, without changing it, the Last-Event-ID of
 * each request.
 */
async function dispatcherFor(cmd, onRequest, onProtocol) {
  const { Agent, Client, buildConnector } = await import('undici');
  const transport = cmd.transport || 'h1';
  const tls = cmd.ca ? { ca: cmd.ca } : {};
  const connector = buildConnector({ allowH2: transport !== 'h1', useH2c: transport === 'h2c', ...tls });
  const connect = (opts, callback) => connector(opts, (err, socket) => {
    if (socket) onProtocol(socket.alpnProtocol === 'h2' ? 'HTTP/2' : 'HTTP/1.1');
    callback(err, socket);
  });
  const dispatcher = transport === 'h2c'
    ? new Client(new URL(cmd.url).origin, { allowH2: true, useH2c: true, connect })
    : new Agent({ allowH2: transport === 'h2', connect });
  return dispatcher.compose(dispatch => (opts, handler) => {
    onRequest(headerOf(opts.headers, 'last-event-id'));
    return dispatch(opts, handler);
  });
}

/** A header from a Headers object, a plain object or undici's flat [name, value, ...] array. */
function headerOf(headers, name) {
  if (!headers) return null;
  if (typeof headers.get === 'function') return headers.get(name);
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) {
      if (String(headers[i]).toLowerCase() === name) return String(headers[i + 1]);
    }
    return null;
  }
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === name) return Array.isArray(v) ? v.join(', ') : String(v);
  }
  return null;
}

async function open(cmd) {
  const sub = cmd.sub;
  const record = { closers: [] };
  subs.set(sub, record);
  const onRequest = id => emit(sub, { kind: 'request', lastEventId: id });
  const onProtocol = p => emit(sub, { kind: 'protocol', value: p });
  // Node's own fetch for plain HTTP/1.1, as most users have it; undici's with a dispatcher otherwise.
  const ownTransport = (cmd.transport && cmd.transport !== 'h1') || cmd.ca;
  switch (cmd.client) {
    case 'eventsource': {
      const { EventSource } = await import('eventsource');
      // The library's documented hook for headers (and for another transport) is its fetch option.
      let doFetch = globalThis.fetch;
      if (ownTransport) {
        const { fetch } = await import('undici');
        const dispatcher = await dispatcherFor(cmd, () => {}, onProtocol);
        doFetch = (input, init) => fetch(input, { ...init, dispatcher });
      }
      let first = true;
      const es = new EventSource(cmd.url, {
        fetch: (input, init) => {
          const headers = { ...(init.headers || {}), ...(cmd.headers || {}) };
          if (first && cmd.lastEventId) headers['Last-Event-ID'] = cmd.lastEventId;
          first = false;
          onRequest(headerOf(headers, 'last-event-id'));
          return doFetch(input, { ...init, headers });
        },
      });
      watch(sub, es, cmd.types || [], record);
      break;
    }
    case 'undici': {
      const { EventSource } = await import('undici');
      // undici's EventSource takes no headers; its dispatcher option chooses the transport.
      const es = new EventSource(cmd.url, { dispatcher: await dispatcherFor(cmd, onRequest, onProtocol) });
      watch(sub, es, cmd.types || [], record);
      break;
    }
    case 'parser':
      // A connection pool of its own: it does not reconnect, so a pooled connection that the
      // gateway closes just after ending another stream on it must not be picked up.
      await parse(sub, cmd, record, await dispatcherFor(cmd, () => {}, onProtocol));
      break;
    default:
      emit(sub, { kind: 'error', message: 'unknown client ' + cmd.client, closed: true });
  }
}

function watch(sub, es, types, record) {
  record.closers.push(() => es.close());
  const onEvent = e => emit(sub, { kind: 'event', type: e.type, data: e.data, lastEventId: e.lastEventId });
  es.onmessage = onEvent;
  for (const t of types) es.addEventListener(t, onEvent);
  es.onopen = () => emit(sub, { kind: 'open' });
  es.onerror = e => {
    const detail = e && (e.message || (e.error && describe(e.error)) || e.code) || 'error event';
    emit(sub, { kind: 'error', message: String(detail), closed: es.readyState === 2 });
  };
}

async function parse(sub, cmd, record, dispatcher) {
  const { createParser } = await import('eventsource-parser');
  const abort = new AbortController();
  record.closers.push(() => abort.abort());
  const headers = { Accept: 'text/event-stream', ...(cmd.headers || {}) };
  if (cmd.lastEventId) headers['Last-Event-ID'] = cmd.lastEventId;
  const init = { headers, signal: abort.signal };
  let doFetch = globalThis.fetch;
  if (dispatcher) {
    init.dispatcher = dispatcher;
    doFetch = (await import('undici')).fetch;
  }
  emit(sub, { kind: 'request', lastEventId: cmd.lastEventId || null });
  let res;
  try {
    res = await doFetch(cmd.url, init);
  } catch (e) {
    emit(sub, { kind: 'error', message: describe(e), closed: true });
    return;
  }
  if (res.status !== 200) {
    emit(sub, { kind: 'error', message: 'status ' + res.status + ': ' + await res.text(), closed: true });
    return;
  }
  emit(sub, { kind: 'open', contentType: res.headers.get('content-type') });
  const parser = createParser({
    onEvent: e => emit(sub, { kind: 'event', type: e.event ?? 'message', data: e.data, lastEventId: e.id ?? null }),
    onRetry: ms => emit(sub, { kind: 'retry', value: ms }),
    onComment: c => emit(sub, { kind: 'comment', value: c }),
    onError: e => emit(sub, { kind: 'parse-error', type: e.type, field: e.field ?? null, value: e.value ?? null, line: e.line ?? null }),
  });
  // What the text-level parser cannot see: the bytes themselves.
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let offset = 0;
  let first = true;
  try {
    for await (const chunk of res.body) {
      if (first && chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
        emit(sub, { kind: 'lint', problem: 'the stream starts with a byte order mark' });
      }
      first = false;
      let text;
      try {
        text = utf8.decode(chunk, { stream: true });
      } catch (e) {
        emit(sub, { kind: 'lint', problem: 'invalid UTF-8 near byte ' + offset });
        abort.abort();
        return;
      }
      offset += chunk.length;
      parser.feed(text);
    }
    try {
      utf8.decode();
    } catch (e) {
      emit(sub, { kind: 'lint', problem: 'the stream ends inside a UTF-8 sequence' });
    }
    emit(sub, { kind: 'end' });
  } catch (e) {
    if (!abort.signal.aborted) emit(sub, { kind: 'error', message: describe(e), closed: true });
  }
}

/** An error with its cause: fetch says only "fetch failed" and puts the reason in the cause. */
function describe(e) {
  if (!e) return String(e);
  const cause = e.cause ? ' (' + (e.cause.code || '') + ' ' + (e.cause.message || e.cause) + ')' : '';
  return String(e.message || e) + cause;
}

function close(sub) {
  const record = subs.get(sub);
  if (!record) return;
  subs.delete(sub);
  for (const c of record.closers) {
    try { c(); } catch (e) { emit(sub, { kind: 'error', message: 'while closing: ' + e }); }
  }
}

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', line => {
  if (!line.trim()) return;
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch (e) {
    emit(null, { kind: 'error', message: 'bad command: ' + line });
    return;
  }
  if (cmd.op === 'open') {
    open(cmd).catch(e => emit(cmd.sub, { kind: 'error', message: 'open failed: ' + (e && e.stack || e), closed: true }));
  } else if (cmd.op === 'close') {
    close(cmd.sub);
  }
});
lines.on('close', () => {
  for (const sub of [...subs.keys()]) close(sub);
  process.stdout.write('', () => process.exit(0));
});
