// Loaded with `node --import` into a CLI under test: writes the process's peak RSS (bytes) to
// $AIRLOCK_TEST_RSS_FILE when it exits, so a test can hold a real command to flat memory.
import { writeFileSync } from "node:fs";

const out = process.env.AIRLOCK_TEST_RSS_FILE;
if (out !== undefined && out !== "") process.on("exit", () => writeFileSync(out, String(process.resourceUsage().maxRSS * 1024)));
