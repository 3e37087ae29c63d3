/**
 * Loader for the EFF large wordlist (eff-large-wordlist.ts; CC BY 3.0 US, Electronic Frontier
 * Foundation, https://www.eff.org/dice). Split and checked once, at first use: 7,776 distinct
 * lower-case words whose text hashes to the digest below, so a damaged or edited list is refused
 * instead of silently weakening every passphrase made from it.
 */
import { createHash } from "node:crypto";
import { EFF_LARGE_WORDLIST_TEXT } from "./eff-large-wordlist.js";

export const EFF_WORD_COUNT = 7776;
/** SHA-256 of the words joined by "\n" (no trailing newline). */
const EFF_SHA256 = "abae49761b88f3f1ba31ef944bea1f61b795a3cd7e1cfb7d276ed45bf77967ba";

let words: readonly string[] | undefined;

export function effLargeWordlist(): readonly string[] {
  if (words !== undefined) return words;
  const digest = createHash("sha256").update(EFF_LARGE_WORDLIST_TEXT, "utf8").digest("hex");
  const list = EFF_LARGE_WORDLIST_TEXT.split("\n");
  if (digest !== EFF_SHA256) throw new Error("the EFF wordlist does not match its recorded SHA-256; reinstall Airlock");
  if (list.length !== EFF_WORD_COUNT || new Set(list).size !== EFF_WORD_COUNT || !list.every((w) => /^[a-z][a-z-]*$/.test(w))) {
    throw new Error(`the EFF wordlist is not ${EFF_WORD_COUNT} distinct lower-case words`);
  }
  words = Object.freeze(list);
  return words;
}
