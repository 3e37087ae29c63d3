/**
 * For tests and scripts that admit a request without a terminal: `members add` and `devices add`
 * then need the code the joiner's laptop shows (--fingerprint). This reads it from the request
 * file itself, with the same function both screens use.
 */
import { readFileSync } from "node:fs";
import { fingerprint, parseJoinRequest } from "../src/vault/request.js";

/** `["--fingerprint", CODE]` for the join request file at `path` (the file `airlock join --out` wrote). */
export function fingerprintArgs(path: string): string[] {
  return ["--fingerprint", fingerprint(parseJoinRequest(new Uint8Array(readFileSync(path))).device)];
}
