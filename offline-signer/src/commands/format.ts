/** Small text helpers shared by the commands' human output. */
import { ROLES } from "../team/entry.js";

export { asRole, peerLine, short, table, when } from "../cli/format.js";

export const ROLE_OPTIONS = [...ROLES] as string[];

/**
 * What `members add` and `devices add` print: the name only ever quoted and escaped on the first
 * line, the fingerprint alone on a labelled line of its own, so a name crafted to look like a
 * fingerprint cannot stand in for the real one.
 */
export function admitted(first: string, fp: string, next: string): string {
  return `${first}\nFingerprint: ${fp}\n  (it must be the one shown on the new laptop's screen; if it differs, someone swapped the request: remove what was added)\n${next}\n`;
}
