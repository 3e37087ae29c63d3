/**
 * Worker thread body: verifies Ed25519 signatures sent by signature-pool.ts. The same
 * node:crypto primitive as bundle-format's ed25519Verify (which it calls), on the second core.
 */
import { parentPort } from "node:worker_threads";
import { ed25519Verify } from "@airlock/bundle-format";

export interface VerifyRequest {
  readonly keys: Uint8Array[];
  readonly messages: Uint8Array[];
  readonly signatures: Uint8Array[];
}

parentPort?.on("message", (req: VerifyRequest) => {
  const ok = req.messages.map((m, i) => ed25519Verify(req.keys[i]!, m, req.signatures[i]!));
  parentPort!.postMessage(ok);
});
