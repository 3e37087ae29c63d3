/**
 * Names on a hostile USB stick. The real entry point: a file whose name is the input's raw
 * bytes (any bytes Linux allows: not UTF-8, controls, bidi overrides) is put in a drop box and
 * the box is read with readBundles; every entry must be reported, never thrown, and every name
 * shown to a person must be safe to print. The pure name functions are checked on all inputs.
 */
import { existsSync } from "node:fs";
import { mkdtemp, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { displayName, isBundleName, isTempName, readBundles, USB_ENTRY_CODES, USB_FOLDER_CODES } from "@airlock/shared";
import { FuzzInvariantError } from "../outcome.js";
import type { Target } from "../target.js";

// eslint-disable-next-line no-control-regex -- what must never reach a terminal
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\p{Cf}\u2028\u2029]/u;
const BUNDLE = /^[a-z2-7]{26}\.airlock$/;
const enc = new TextEncoder();

function checkShown(raw: string, shown: string): void {
  if (UNSAFE.test(shown)) throw new FuzzInvariantError("displayName left a control or format character in");
  if (shown.length > 81) throw new FuzzInvariantError(`displayName returned ${shown.length} characters`);
  if (raw.length > 0 && shown.length === 0) throw new FuzzInvariantError("displayName returned nothing for a name");
}

export const usbName: Target = {
  name: "usb-name",
  entry: "readBundles on a drop box holding a file named by the input; isBundleName, isTempName, displayName",
  codes: [...USB_ENTRY_CODES, ...USB_FOLDER_CODES],
  maxInput: 300,
  cbor: false,
  async create() {
    const root = await mkdtemp(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "airlock-fuzz-usb-"));
    return {
      seeds: ["abcdefghijklmnopqrstuvwxyz.airlock", "ab234567ab234567ab234567ab.airlock", ".tmp-abcdefghijklmnopqrstuvwxyz.partial", "._abcdefghijklmnopqrstuvwxyz.airlock", "\u202enosliar.airlock", "caf\u00e9.airlock"].map((s) => enc.encode(s)),
      async run(input) {
        const text = Buffer.from(input.buffer, input.byteOffset, input.length).toString("utf8");
        const bundle = isBundleName(text);
        if (bundle && !BUNDLE.test(text)) throw new FuzzInvariantError("isBundleName accepted a name of another shape");
        if (bundle && isTempName(text)) throw new FuzzInvariantError("a name is both a bundle and a temp file");
        checkShown(text, displayName(text));
        // Linux refuses "/" and NUL in a name, "." and "..", and more than 255 bytes: nothing to put on the stick.
        if (input.length === 0 || input.length > 255 || input.includes(0x2f) || input.includes(0) || text === "." || text === "..") return "name-only";
        const path = Buffer.concat([Buffer.from(`${root}/`), Buffer.from(input)]);
        await writeFile(path, "too small to be a bundle");
        try {
          const result = await readBundles(root);
          if (result.accepted.length > 0) throw new FuzzInvariantError("a 25-byte file was accepted as a bundle");
          const issues = [...result.rejected, ...result.skipped];
          if (issues.length !== 1) throw new FuzzInvariantError(`one file gave ${issues.length} reports`);
          checkShown(issues[0]!.name, issues[0]!.displayName);
          return issues[0]!.code;
        } finally {
          await unlink(path);
        }
      },
      async close() {
        await rm(root, { recursive: true, force: true });
      },
    };
  },
};
