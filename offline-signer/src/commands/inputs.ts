/** Reading what people carry in: a request file, or the same as QR images or a video. */
import { readSources } from "@airlock/shared";
import { MAX_REQUEST_BYTES } from "../vault/request.js";
import { vaultError } from "../vault/errors.js";

export async function readRequest(path: string, progress?: (line: string) => void): Promise<Uint8Array> {
  const issues: string[] = [];
  for await (const event of readSources([path], { maxBundleBytes: MAX_REQUEST_BYTES, boxes: [], program: "airlock", ...(progress === undefined ? {} : { progress }) })) {
    if (event.type === "bundle") return event.bytes;
    issues.push(`${event.code}: ${event.reason}`);
  }
  throw vaultError("VAULT_BAD_ARGUMENT", `no join request could be read from ${path}${issues.length > 0 ? ` (${issues.join("; ")})` : ""}`);
}
