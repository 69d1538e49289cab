/**
 * Reading request bodies on node:http servers with a size cap, so a client cannot make a server
 * buffer an unbounded body, and JSON error answers in the shape vLLM's OpenAI server uses.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Default cap: a 128k-token id prompt is ~1 MB of JSON; 8 MiB leaves room for chat histories. */
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type = 'BadRequestError',
  ) {
    super(message);
  }
}

/** Reads the whole body; rejects with 413 past `maxBytes` and with 400 on invalid JSON. */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    req.resume(); // drain so the socket can answer
    throw new HttpError(413, `Request body of ${declared} bytes exceeds the limit of ${maxBytes} bytes`, 'PayloadTooLarge');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) {
      req.resume();
      throw new HttpError(413, `Request body exceeds the limit of ${maxBytes} bytes`, 'PayloadTooLarge');
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'Request body is not valid JSON');
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** vLLM's error body (`ErrorResponse`): {"error": {message, type, param, code}}. */
export function sendError(res: ServerResponse, status: number, message: string, type = 'BadRequestError'): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, status, { error: { message, type, param: null, code: status } });
}

export function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
