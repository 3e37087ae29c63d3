/**
 * The unlock agent's wire format: one request and one response per connection, each a frame of
 * a 4-byte big-endian length and that many bytes of canonical CBOR (the strict decoder the team
 * log uses). Lengths are checked before anything is buffered.
 *
 *   request  = { v: 1, op: "key",  home: text, salt: bytes(16) }   the key for this vault, whose
 *                                                                  current KDF slot has this salt
 *            | { v: 1, op: "lock", home: text }                    end the session
 *   response = { v: 1, ok: true, key?: bytes(32) }
 *            | { v: 1, ok: false, code: text, message: text }
 *
 * The key travels as bytes, never as a string (strings cannot be wiped): whoever reads a frame
 * wipes it once decoded.
 */
import type { Socket } from "node:net";
import { AirlockError } from "@airlock/shared";
import { decodeObject, encodeObject, type Plain } from "../team/cbor-object.js";
import { Reader } from "../team/read.js";

export const MAX_REQUEST_BYTES = 8192;
export const MAX_RESPONSE_BYTES = 1024;
export const KEY_BYTES = 32;
export const SALT_BYTES = 16;
const MAX_HOME = 4096;

export type AgentRequest = { readonly op: "key"; readonly home: string; readonly salt: Uint8Array } | { readonly op: "lock"; readonly home: string };
export type AgentResponse = { readonly ok: true; readonly key?: Uint8Array | undefined } | { readonly ok: false; readonly code: string; readonly message: string };

const HINT = "the other end is not an airlock agent of this release; nothing was unlocked";
const R = new Reader("AGENT_BAD_MESSAGE", "agent message", HINT);
const bad = (message: string): AirlockError => new AirlockError("AGENT_BAD_MESSAGE", `agent message: ${message}`, { hint: HINT });

export function frame(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  new DataView(out.buffer).setUint32(0, body.length);
  out.set(body, 4);
  return out;
}

export function encodeRequest(request: AgentRequest): Uint8Array {
  return frame(encodeObject(request.op === "key" ? { v: 1, op: "key", home: request.home, salt: request.salt } : { v: 1, op: "lock", home: request.home }));
}

export function decodeRequest(body: Uint8Array): AgentRequest {
  const o = R.obj(decode(body, MAX_REQUEST_BYTES), "request", ["v", "op", "home", "salt"]);
  if (o["v"] !== 1) R.fail("unknown version");
  const home = R.text(o["home"], "home", MAX_HOME, 1);
  if (o["op"] === "key") return { op: "key", home, salt: R.bytes(o["salt"], "salt", SALT_BYTES) };
  if (o["op"] === "lock" && o["salt"] === undefined) return { op: "lock", home };
  return R.fail("unknown request");
}

/** The response frame; a key in it is copied in, and the caller wipes the frame once written. */
export function encodeResponse(response: AgentResponse): Uint8Array {
  const body: Plain = response.ok ? { v: 1, ok: true, key: response.key } : { v: 1, ok: false, code: response.code, message: response.message };
  const encoded = encodeObject(body);
  const out = frame(encoded);
  encoded.fill(0);
  return out;
}

/** Decodes a response; a key is copied out, so the caller can wipe `body`. */
export function decodeResponse(body: Uint8Array): AgentResponse {
  const o = R.obj(decode(body, MAX_RESPONSE_BYTES), "response", ["v", "ok", "key", "code", "message"]);
  if (o["v"] !== 1) R.fail("unknown version");
  if (o["ok"] === true) return { ok: true, key: o["key"] === undefined ? undefined : R.bytes(o["key"], "key", KEY_BYTES).slice() };
  if (o["ok"] === false) return { ok: false, code: R.text(o["code"], "code", 64, 1), message: R.text(o["message"], "message", 512) };
  return R.fail("ok must be true or false");
}

function decode(body: Uint8Array, max: number): Plain {
  try {
    return decodeObject(body, { maxBytes: max, maxDepth: 2, maxItems: 8 });
  } catch (e) {
    if (e instanceof AirlockError && e.code === "AGENT_BAD_MESSAGE") throw e;
    return R.fail("not canonical CBOR");
  }
}

/**
 * Reads one frame of at most `max` bytes from `socket`: a larger declared length, bytes after the
 * frame, or the connection ending early is refused. Every chunk received is wiped once copied.
 */
export function readFrame(socket: Socket, max: number): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const head = new Uint8Array(4);
    let headAt = 0;
    let body: Uint8Array | undefined;
    let bodyAt = 0;
    const done = (error: Error | undefined): void => {
      socket.off("data", onData);
      socket.off("end", onEnd);
      socket.off("close", onEnd);
      socket.off("error", onError);
      if (error === undefined) resolve(body!);
      else {
        body?.fill(0);
        reject(error);
      }
    };
    const onData = (chunk: Buffer): void => {
      let at = 0;
      while (at < chunk.length) {
        if (body === undefined) {
          const n = Math.min(4 - headAt, chunk.length - at);
          head.set(chunk.subarray(at, at + n), headAt);
          headAt += n;
          at += n;
          if (headAt === 4) {
            const length = new DataView(head.buffer).getUint32(0);
            if (length > max) {
              chunk.fill(0);
              return done(bad(`a frame of ${length} bytes is more than the ${max} allowed`));
            }
            body = new Uint8Array(length);
            if (length === 0) break;
          }
          continue;
        }
        const n = Math.min(body.length - bodyAt, chunk.length - at);
        body.set(chunk.subarray(at, at + n), bodyAt);
        bodyAt += n;
        at += n;
        if (bodyAt === body.length) break;
      }
      const extra = at < chunk.length;
      chunk.fill(0);
      if (extra) return done(bad("bytes after the frame"));
      if (body !== undefined && bodyAt === body.length) done(undefined);
    };
    const onEnd = (): void => done(bad("the connection ended inside a frame"));
    const onError = (e: Error): void => done(e);
    socket.on("data", onData);
    socket.on("end", onEnd);
    // Destroyed (a timeout, the agent stopping) without an end: settle all the same.
    socket.on("close", onEnd);
    socket.on("error", onError);
  });
}
