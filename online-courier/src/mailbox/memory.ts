/**
 * The in-memory mailbox: the reference implementation the acceptance suite is checked against,
 * and a fake for courier tests. Invariants: every stored value was checked by checkPut and is
 * never handed out by reference (callers get copies); the index holds exactly the stored names.
 */
import { checkMaxBytes, checkName, checkPut, SequenceIndex, type MailboxBackend, type MailboxListing, type MailboxName } from "./backend.js";

export class MemoryMailbox implements MailboxBackend {
  readonly maxBundleBytes: number;
  readonly #bundles = new Map<MailboxName, Uint8Array>();
  readonly #index = new SequenceIndex();

  constructor(options: { maxBundleBytes?: number } = {}) {
    this.maxBundleBytes = checkMaxBytes(options.maxBundleBytes);
  }

  async put(name: string, bundle: Uint8Array): Promise<void> {
    const checked = checkPut(name, bundle, this.maxBundleBytes);
    if (this.#bundles.has(checked)) return;
    this.#bundles.set(checked, bundle.slice());
    this.#index.add(checked);
  }

  async list(since?: string): Promise<MailboxListing> {
    return this.#index.list(since);
  }

  async get(name: string): Promise<Uint8Array | undefined> {
    return this.#bundles.get(checkName(name))?.slice();
  }

  async delete(name: string): Promise<void> {
    const checked = checkName(name);
    this.#bundles.delete(checked);
    this.#index.remove(checked);
  }
}
