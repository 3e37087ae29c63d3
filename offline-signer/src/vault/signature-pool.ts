/**
 * Verifies many changeset signatures on a worker thread while the main thread decrypts, so an
 * import uses both cores. Falls back to verifying on the calling thread when no worker can run
 * (e.g. tests running TypeScript sources, where the compiled worker file does not exist).
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { concatBytes, ed25519Verify, utf8 } from "@airlock/bundle-format";
import type { Changeset } from "../sync/changeset.js";

const LABEL_SIG = utf8("airlock/v1/changeset-sig");
const WORKER = new URL("./verify-worker.js", import.meta.url);

function inline(changesets: readonly Changeset[]): boolean[] {
  return changesets.map((c) => ed25519Verify(c.device, concatBytes(LABEL_SIG, c.signed.body), c.signed.sig));
}

/**
 * Share of the signatures the worker takes: the caller verifies the rest itself after its own
 * work (decrypting the batches, see verifyRest), so both threads finish at about the same time
 * (measured: vault.import.ops in docs/benchmarks.md; the worker pays the copy of every message).
 */
export const WORKER_SHARE = 0.6;

/** Below this many changesets a worker's start-up costs more than it saves. */
export const WORKER_MIN = 64;

/**
 * A worker thread started ahead of need: it loads while the caller decodes, so its start-up
 * overlaps work instead of adding to it. Used once, then closed.
 */
export class Verifier {
  readonly #worker: Worker | undefined;

  private constructor(worker: Worker | undefined) {
    this.#worker = worker;
  }

  /** Starts the worker (when the compiled worker file exists; else verification stays inline). */
  static start(): Verifier {
    return new Verifier(WORKER.protocol === "file:" && existsSync(fileURLToPath(WORKER)) ? new Worker(WORKER) : undefined);
  }

  /** One boolean per changeset; a worker that fails falls back to this thread. */
  async verify(changesets: readonly Changeset[]): Promise<boolean[]> {
    const worker = this.#worker;
    if (changesets.length === 0) return [];
    if (worker === undefined) return inline(changesets);
    try {
      return await new Promise<boolean[]>((resolve, reject) => {
        worker.once("message", (ok: boolean[]) => resolve(ok));
        worker.once("error", reject);
        worker.once("exit", (code) => reject(new Error(`signature worker exited with code ${code}`)));
        worker.postMessage({
          keys: changesets.map((c) => c.device),
          messages: changesets.map((c) => concatBytes(LABEL_SIG, c.signed.body)),
          signatures: changesets.map((c) => c.signed.sig),
        });
      });
    } catch {
      return inline(changesets);
    } finally {
      this.close();
    }
  }

  close(): void {
    void this.#worker?.terminate();
  }
}

export interface SplitVerification {
  /** Resolves with the worker's part, in order. */
  readonly worker: Promise<boolean[]>;
  /** How many of the changesets (from the start) the worker checks. */
  readonly workerCount: number;
}

/** Starts checking the first WORKER_SHARE of `changesets` on a worker thread (`verifier`, or one started now). */
export function verifyOnWorker(changesets: readonly Changeset[], verifier?: Verifier): SplitVerification {
  const workerCount = changesets.length < WORKER_MIN ? 0 : Math.floor(changesets.length * WORKER_SHARE);
  if (workerCount === 0) {
    verifier?.close();
    return { worker: Promise.resolve([]), workerCount };
  }
  return { worker: (verifier ?? Verifier.start()).verify(changesets.slice(0, workerCount)), workerCount };
}

/** Checks the part the worker did not take, on this thread. */
export function verifyRest(changesets: readonly Changeset[], split: SplitVerification): boolean[] {
  return inline(changesets.slice(split.workerCount));
}

/** One boolean per changeset: whether its signature verifies. */
export async function verifyChangesets(changesets: readonly Changeset[]): Promise<boolean[]> {
  if (changesets.length < WORKER_MIN) return inline(changesets);
  return Verifier.start().verify(changesets);
}
