/**
 * The JSON form of a test vector: one file per case, every byte string in lowercase hex.
 * Readers must fail on any key they do not know (the age rule: no test silently passes over
 * nothing).
 */
import { fromHex, toHex } from "../src/bytes.js";
import { BUNDLE_ERROR_CODES, type BundleErrorCode } from "../src/errors.js";
import { type VectorCase } from "./cases.js";

export const VECTOR_KEYS = ["name", "description", "expect", "opener_secret", "max_length", "seal", "bundle", "body", "sender_public"] as const;
export const SEAL_KEYS = ["sender_secret", "recipients", "mailbox_tag", "body", "min_length", "ephemeral_secret", "content_key", "slots"] as const;

export interface VectorFile {
  name: string;
  description: string;
  expect: "success" | BundleErrorCode;
  opener_secret: string;
  max_length?: number;
  seal?: {
    sender_secret: string;
    recipients: string[];
    mailbox_tag: string;
    body: string;
    min_length?: number;
    ephemeral_secret: string;
    content_key: string;
    /** Per slot: the index of a recipient in `recipients`, or the hex of a 48-byte dummy slot. */
    slots: (number | string)[];
  };
  bundle: string;
  body?: string;
  sender_public?: string;
}

export function toFile(c: VectorCase): VectorFile {
  const file: VectorFile = { name: c.name, description: c.description, expect: c.expect, opener_secret: toHex(c.opener.secretKey), bundle: "" };
  if (c.maxLength !== undefined) file.max_length = c.maxLength;
  if (c.seal !== undefined) {
    const s = c.seal;
    file.seal = {
      sender_secret: toHex(s.sender.secretKey),
      recipients: s.recipients.map((r) => toHex(r.publicKey)),
      mailbox_tag: toHex(s.mailboxTag),
      body: toHex(s.body),
      ...(s.minLength === undefined ? {} : { min_length: s.minLength }),
      ephemeral_secret: toHex(s.randomness.ephemeralSecret!), // vectors always fix it
      content_key: toHex(s.randomness.contentKey),
      slots: s.randomness.slots.map((e) => (typeof e === "number" ? e : toHex(e))),
    };
  }
  file.bundle = toHex(c.bundle);
  if (c.body !== undefined) file.body = toHex(c.body);
  if (c.sender !== undefined) file.sender_public = toHex(c.sender);
  return file;
}

/** Parses a vector file strictly: unknown keys, unknown outcomes and bad hex are errors. */
export function parseFile(json: unknown): VectorFile {
  if (typeof json !== "object" || json === null) throw new Error("vector is not an object");
  for (const key of Object.keys(json)) if (!(VECTOR_KEYS as readonly string[]).includes(key)) throw new Error(`unknown vector key "${key}"`);
  const v = json as VectorFile;
  if (v.expect !== "success" && !(BUNDLE_ERROR_CODES as readonly string[]).includes(v.expect)) throw new Error(`unknown expect "${v.expect}"`);
  if (v.seal !== undefined) {
    for (const key of Object.keys(v.seal)) if (!(SEAL_KEYS as readonly string[]).includes(key)) throw new Error(`unknown seal key "${key}"`);
  }
  if (v.expect === "success" && (v.body === undefined || v.sender_public === undefined)) throw new Error("success vector without body/sender_public");
  fromHex(v.bundle);
  fromHex(v.opener_secret);
  return v;
}

export const vectorFileName = (name: string): string => `${name}.json`;
export const serialize = (file: VectorFile): string => `${JSON.stringify(file, null, 1)}\n`;
