import { runMailboxAcceptanceTests } from "./acceptance.js";
import { MemoryMailbox } from "./memory.js";

runMailboxAcceptanceTests("memory", async () => ({
  backend: new MemoryMailbox({ maxBundleBytes: 64 * 1024 }),
  teardown: async () => undefined,
}));
