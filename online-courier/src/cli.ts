/**
 * `airlock-courier`, the courier CLI. Spool, transports and sync arrive with the courier
 * issue; today it can show what a courier sees of a bundle file, and nothing more.
 */
import { readFileSync, statSync } from "node:fs";
import { DEFAULT_MAX_LENGTH } from "@airlock/bundle-format";
import { reportFailure } from "@airlock/shared";
import { describeBundle } from "./inspect.js";

const HELP = `airlock-courier - the Airlock courier (online side)

Usage:
  airlock-courier inspect FILE... [--json]   show what a courier can see of bundle files
  airlock-courier --help                     show this help

A courier sees a bundle's format version, mailbox tag, size and slot count, and nothing
else: not the sender, not the recipients, not the content (docs/bundle-format.md).
`;

function main(argv: string[]): void {
  const json = argv.includes("--json");
  const [command, ...files] = argv.filter((a) => a !== "--json");
  if (command === undefined || command === "--help" || command === "-h") {
    process.stdout.write(HELP);
    return;
  }
  if (command !== "inspect" || files.length === 0) {
    throw Object.assign(new Error(`unknown or incomplete command "${argv.join(" ")}" (see airlock-courier --help)`), { code: "USAGE" });
  }
  const results = files.map((file) => {
    // Bound the read by the size we would accept, before allocating.
    const size = statSync(file).size;
    if (size > DEFAULT_MAX_LENGTH) throw Object.assign(new Error(`${file} is ${size} bytes, larger than any bundle this courier accepts`), { code: "BUNDLE_TOO_LARGE" });
    return describeBundle(file, readFileSync(file));
  });
  if (json) {
    process.stdout.write(`${JSON.stringify({ ok: true, bundles: results })}\n`);
    return;
  }
  for (const r of results) {
    process.stdout.write(`${r.file}: Airlock bundle format ${r.formatVersion} (suite ${r.suite}), ${r.length} bytes, ${r.slots} recipient slots, mailbox tag ${r.mailboxTag}\n`);
  }
}

try {
  main(process.argv.slice(2));
} catch (e) {
  reportFailure("airlock-courier", e, process.argv.includes("--json"));
}
