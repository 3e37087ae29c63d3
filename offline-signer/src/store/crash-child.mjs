// Child process for crash.test.ts: opens a test vault from the built dist, commits `rounds`
// big transactions, and at the requested point prints one line and blocks forever (no sleeps)
// so the parent can SIGKILL it exactly there.
//   mid:   inside the last transaction, halfway through its writes (pages already spilled)
//   after: right after the last transaction committed
import { Buffer } from "node:buffer";
import { writeSync } from "node:fs";
import { VaultStore, passphraseBytes } from "../../dist/src/store/index.js";

const [dir, pass, roundsArg, rowsArg, mode] = process.argv.slice(2);
const rounds = Number(roundsArg);
const ROWS = Number(rowsArg);
const store = await VaultStore.open(dir, passphraseBytes(pass), { kdf: "test-insecure" });
const blockForever = () => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
};
for (let r = 1; r <= rounds; r++) {
  store.transaction((db) => {
    const put = db.prepare(
      "INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    );
    for (let i = 0; i < ROWS; i++) {
      put.run(`row-${i}`, Buffer.alloc(4096, r));
      if (r === rounds && mode === "mid" && i === Math.floor(ROWS / 2)) {
        writeSync(1, `mid ${r}\n`);
        blockForever();
      }
    }
    db.prepare("INSERT INTO meta (key, value) VALUES ('round', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(
      String(r),
    );
  });
  if (r === rounds && mode === "after") {
    writeSync(1, `after ${r}\n`);
    blockForever();
  }
}
