/**
 * A mailbox that misbehaves like a real store or network can: it drops requests (a put or get
 * fails, a listing omits names), duplicates and reorders listings, truncates bytes on the way,
 * and replays names it listed before. Driven by a seeded generator so a failure reproduces.
 */
import type { MailboxBackend, MailboxListing, MailboxName } from "../src/mailbox/backend.js";
import { AirlockError } from "@airlock/shared";

export function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export interface Misbehaviour {
  drop: number;
  duplicate: number;
  reorder: number;
  truncate: number;
  replay: number;
}

export function misbehaving(inner: MailboxBackend, random: () => number, p: Misbehaviour): MailboxBackend {
  const history: MailboxName[] = [];
  const fail = (what: string): never => {
    throw new AirlockError("MAILBOX_IO", `simulated network failure during ${what}`);
  };
  return {
    maxBundleBytes: inner.maxBundleBytes,
    async put(name, bundle) {
      if (random() < p.drop) fail("put");
      await inner.put(name, bundle);
    },
    async list(since): Promise<MailboxListing> {
      if (random() < p.drop / 2) fail("list");
      const real = await inner.list(since);
      history.push(...real.names);
      let names = real.names.filter(() => random() >= p.drop);
      if (random() < p.duplicate) names = [...names, ...names];
      if (random() < p.replay && history.length > 0) names.push(...history.slice(0, 1 + Math.floor(random() * history.length)));
      if (random() < p.reorder) names = names.map((n) => [random(), n] as const).sort((a, b) => a[0] - b[0]).map(([, n]) => n);
      return { names, cursor: real.cursor };
    },
    async get(name) {
      if (random() < p.drop / 2) fail("get");
      const bytes = await inner.get(name);
      if (bytes !== undefined && random() < p.truncate) return bytes.subarray(0, Math.floor(bytes.length * random()));
      return bytes;
    },
    delete: (name) => inner.delete(name),
  };
}
