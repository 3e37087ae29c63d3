/**
 * What a courier may learn from a bundle without any key: the cleartext header. Used by
 * `airlock-courier inspect` and, later, by the spool to validate what it stores.
 */
import { inspectBundle, toHex, type BundleHeader } from "@airlock/bundle-format";

export interface InspectedBundle {
  readonly file: string;
  readonly formatVersion: number;
  readonly suite: number;
  readonly mailboxTag: string;
  readonly length: number;
  readonly slots: number;
}

export function describeBundle(file: string, bytes: Uint8Array, maxLength?: number): InspectedBundle {
  const h: BundleHeader = inspectBundle(bytes, maxLength);
  return {
    file,
    formatVersion: h.version,
    suite: h.suite,
    mailboxTag: toHex(h.mailboxTag),
    length: h.length,
    slots: h.slotCount,
  };
}
