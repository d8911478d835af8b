// Small formatters shared by the request console, the trace timeline and the traffic view.

/** "2xx", "4xx", ...: the class a status belongs to, used for its colour. */
export function statusClass(status: number): string {
  if (status >= 100 && status < 600) return `${Math.floor(status / 100)}xx`;
  return "unknown";
}

/** Microseconds for people: "850 µs", "12.4 ms", "1.20 s". */
export function formatMicros(us: number): string {
  if (!Number.isFinite(us) || us < 0) return "–";
  if (us < 1000) return `${Math.round(us)} µs`;
  if (us < 1_000_000) return `${trimmed(us / 1000)} ms`;
  return `${(us / 1_000_000).toFixed(2)} s`;
}

/** Milliseconds for people: "0.8 ms", "12 ms", "1.20 s". */
export function formatMillis(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "–";
  if (ms < 1000) return `${trimmed(ms)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

function trimmed(value: number): string {
  if (value >= 100) return String(Math.round(value));
  if (value >= 10) return value.toFixed(1).replace(/\.0$/, "");
  return value.toFixed(2).replace(/0$/, "").replace(/\.0$/, "");
}

/** A wall-clock time as "14:03:27.120". */
export function formatClock(epochMs: number): string {
  const date = new Date(epochMs);
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(
    date.getMilliseconds(),
    3,
  )}`;
}

/** Microseconds as a whole number with digit grouping: "1,204 µs". */
export function formatMicrosExact(us: number): string {
  if (!Number.isFinite(us) || us < 0) return "–";
  return `${Math.round(us).toLocaleString("en-US")} µs`;
}

export type JsonToken = { kind: "key" | "string" | "number" | "literal" | "punct" | "text"; text: string };

/**
 * Pretty-prints `body` when it is JSON and splits it into tokens for colouring; any other
 * body comes back as one plain token. Returns whether it was JSON.
 */
export function jsonTokens(body: string, alreadyPretty = false): { json: boolean; tokens: JsonToken[] } {
  let text = body;
  try {
    const parsed: unknown = JSON.parse(body);
    if (!alreadyPretty) text = JSON.stringify(parsed, null, 2);
  } catch {
    return { json: false, tokens: [{ kind: "text", text: body }] };
  }
  const tokens: JsonToken[] = [];
  const pattern =
    /("(?:\\.|[^"\\])*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b|([{}[\],:])|(\s+)/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    const at = match.index ?? 0;
    if (at > last) tokens.push({ kind: "text", text: text.slice(last, at) });
    if (match[1] !== undefined) {
      tokens.push({ kind: match[2] ? "key" : "string", text: match[1] });
      if (match[2]) tokens.push({ kind: "punct", text: match[2] });
    } else if (match[3] !== undefined) {
      tokens.push({ kind: "number", text: match[3] });
    } else if (match[4] !== undefined) {
      tokens.push({ kind: "literal", text: match[4] });
    } else if (match[5] !== undefined) {
      tokens.push({ kind: "punct", text: match[5] });
    } else {
      tokens.push({ kind: "text", text: match[0] });
    }
    last = at + match[0].length;
  }
  if (last < text.length) tokens.push({ kind: "text", text: text.slice(last) });
  return { json: true, tokens: mergePlain(tokens) };
}

// Whitespace and punctuation runs become one node each, to keep the DOM small.
function mergePlain(tokens: JsonToken[]): JsonToken[] {
  const out: JsonToken[] = [];
  for (const token of tokens) {
    const previous = out[out.length - 1];
    const plain = token.kind === "text" || token.kind === "punct";
    if (previous && plain && (previous.kind === "text" || previous.kind === "punct")) {
      previous.text += token.text;
      previous.kind = "punct";
    } else {
      out.push({ ...token });
    }
  }
  return out;
}

/** Copies text, reporting whether the clipboard took it. */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}
