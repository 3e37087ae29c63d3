import { readFileSync, statSync } from "node:fs";
import { Args } from "@oclif/core";
import { safe } from "@airlock/shared";
import { DEFAULT_MAX_LENGTH } from "@airlock/bundle-format";
import { courierError } from "../errors.js";
import { describeBundle } from "../inspect.js";
import { CourierCommand } from "./base.js";

export default class Inspect extends CourierCommand {
  static override summary = "Show what a courier can see of bundle files.";
  static override description =
    "A courier sees a bundle's format version, mailbox tag, size and slot count, and nothing else: not the sender, not the recipients, not the content (docs/bundle-format.md).";
  static override examples = ["<%= config.bin %> inspect bundle.airlock", "<%= config.bin %> inspect a.airlock b.airlock --json"];
  static override strict = false;
  static override args = { file: Args.string({ description: "bundle file (repeatable)", required: true }) };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Inspect);
    const results = (argv as string[]).map((file) => {
      // Bound the read by the size we would accept, before allocating.
      const size = statSync(file).size;
      if (size > DEFAULT_MAX_LENGTH) throw Object.assign(courierError("COURIER_TOO_LARGE", `${file} is ${size} bytes, larger than any bundle this courier accepts`), { code: "BUNDLE_TOO_LARGE" });
      return describeBundle(file, readFileSync(file));
    });
    this.emit(
      flags.json,
      { bundles: results },
      results.map((r) => safe`${r.file}: Airlock bundle format ${r.formatVersion} (suite ${r.suite}), ${r.length} bytes, ${r.slots} recipient slots, mailbox tag ${r.mailboxTag}` + "\n").join(""),
    );
  }
}
