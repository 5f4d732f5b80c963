// The run's log, live: the same follow stream the CLI reads (GET .../logs?follow=true),
// read with a fetch stream until the run ends. Falls back to polling with `offset` when
// the listener serves as many followers as it allows (503 too_many_followers).
import { enc } from '../dom.js';

const MAX_CHARS = 2 * 1024 * 1024;  // the page keeps the log's last 2 MiB

export function followLog(runId, pre, signal, onStatus) {
  let received = 0;
  const append = (text) => {
    if (!text) return;
    const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 8;
    pre.append(text);
    if (pre.textContent.length > MAX_CHARS) pre.textContent = pre.textContent.slice(-MAX_CHARS);
    if (atBottom) pre.scrollTop = pre.scrollHeight;
  };
  const url = (follow) => `/api/v1/runs/${enc(runId)}/logs?offset=${received}${follow ? '&follow=true' : ''}`;

  const stream = async () => {
    const res = await fetch(url(true), { signal });
    if (res.status === 503) return false;
    if (!res.ok) throw new Error(`the log is not readable (HTTP ${res.status})`);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      received += value.byteLength;
      append(decoder.decode(value, { stream: true }));
    }
    append(decoder.decode());
    return true;
  };
  const poll = async (isOver) => {
    while (!signal.aborted) {
      const res = await fetch(url(false), { signal });
      if (res.ok) {
        const buf = await res.arrayBuffer();
        received += buf.byteLength;
        append(new TextDecoder().decode(buf));
      }
      if (isOver()) return;
      await new Promise((r) => setTimeout(r, 2000));
    }
  };
  return {
    async run(isOver) {
      try {
        onStatus('following');
        if (!(await stream())) await poll(isOver);
        onStatus('ended');
      } catch (err) {
        if (err.name !== 'AbortError') onStatus(`stopped: ${err.message}`);
      }
    },
  };
}
