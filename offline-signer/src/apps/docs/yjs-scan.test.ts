import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { draftEdit } from "./draft.js";
import { clientIdOf, draftDoc, draftText, scanProblem, updateProblem } from "./yjs-update.js";

const device = "ab".repeat(32);
const client = clientIdOf(device);

/** The update one transaction of `device`'s Yjs client writes. */
function capture(write: (doc: Y.Doc) => void): Uint8Array {
  const doc = new Y.Doc();
  doc.clientID = client;
  let update: Uint8Array | undefined;
  doc.on("update", (u: Uint8Array) => {
    update = u;
  });
  write(doc);
  doc.destroy();
  return update!;
}

function varUint(n: number): number[] {
  const out: number[] = [];
  for (; n >= 0x80; n = Math.floor(n / 128)) out.push((n % 128) | 0x80);
  out.push(n);
  return out;
}
const str = (s: string): number[] => [...varUint(Buffer.byteLength(s)), ...Buffer.from(s)];
/** A hand-written v1 update: one group of `device`'s structs from clock 0, then an empty delete set. */
const handMade = (structs: number, ...body: number[][]): Uint8Array => new Uint8Array([1, ...varUint(structs), ...varUint(client), 0, ...body.flat(), 0]);

/** An array in an array ... around "MARK", `depth` deep: Yjs decodes it recursively. */
function deepAny(depth: number): Uint8Array {
  const b = Buffer.from(capture((d) => d.getArray("body").push([[["MARK"]]])));
  const start = b.lastIndexOf(Buffer.from("7501", "hex"), b.indexOf(Buffer.from("7704", "hex")));
  return new Uint8Array(Buffer.concat([b.subarray(0, start), ...Array.from({ length: depth }, () => Buffer.from("7501", "hex")), b.subarray(start)]));
}

/** Runs `f` under `n` more stack frames. */
function deeper<T>(n: number, f: () => T): T {
  if (n === 0) return f();
  const r = deeper(n - 1, f);
  return n < 0 ? f() : r;
}

describe("the draft update scan", () => {
  it("refuses nested Yjs content before any decode, the same verdict at any stack depth (review F3)", () => {
    for (const depth of [1, 100, 5000, 20000]) {
      const u = deepAny(depth);
      const top = updateProblem(u, device);
      expect(top).toMatch(/any content, not draft text/);
      expect(deeper(2000, () => updateProblem(u, device))).toBe(top);
    }
  });

  it("refuses every content but text and deletions, text outside the root body, keyed and nested items", () => {
    const cases: [Uint8Array, RegExp][] = [
      [capture((d) => d.getArray("body").push([1])), /any content/],
      [capture((d) => d.getArray("body").push([new Y.Map()])), /type content/],
      [capture((d) => d.getArray("body").push([new Uint8Array([1])])), /binary content/],
      [capture((d) => d.getArray("body").push([new Y.Doc()])), /subdocument content/],
      [capture((d) => d.getText("body").insert(0, "x", { bold: true })), /format content/],
      [capture((d) => d.getText("body").insertEmbed(0, { a: 1 })), /embed content/],
      [handMade(1, [0x02, 1], str("body"), [1], str("1")), /JSON content/],
      [capture((d) => d.getText("other").insert(0, "x")), /root "other"/],
      [handMade(1, [0x24, 1], str("body"), str("key"), str("x")), /keyed entry/],
      [handMade(1, [0x04, 0, ...varUint(client), 0], str("x")), /nests text/],
      [handMade(1, [0x01, 1], str("body"), [0]), /empty struct/],
    ];
    for (const [u, why] of cases) {
      expect(scanProblem(u, client)).toMatch(why);
      expect(updateProblem(u, device)).toMatch(why);
    }
  });

  it("passes honest edits: inserts, deletions of others' text, deleted, GC and skip structs", () => {
    const other = "cd".repeat(32);
    const ups: Uint8Array[] = [draftEdit([], device, "one\ntwo\nthree\n")!];
    ups.push(draftEdit(ups, other, "one\nTWO\nthree\nfour\n")!);
    ups.push(draftEdit(ups, device, "zero\none\nthree\nfour\n")!);
    expect([updateProblem(ups[0]!, device), updateProblem(ups[1]!, other), updateProblem(ups[2]!, device)]).toEqual([undefined, undefined, undefined]);
    expect(draftText(draftDoc(ups))).toBe("zero\none\nthree\nfour\n");
    // A restated state: the writer's own deleted text stays as deleted structs.
    const own = new Y.Doc();
    own.clientID = client;
    own.getText("body").insert(0, "abc");
    own.getText("body").delete(0, 3);
    const restated = Y.encodeStateAsUpdate(own);
    expect(Y.decodeUpdate(restated).structs.some((x) => x instanceof Y.Item && x.content instanceof Y.ContentDeleted)).toBe(true);
    expect(updateProblem(restated, device)).toBeUndefined();
    // Merging the first and third of one writer's updates leaves a skip over the second.
    const mine = [capture((d) => d.getText("body").insert(0, "a"))];
    const d2 = draftDoc(mine);
    d2.clientID = client;
    const later: Uint8Array[] = [];
    d2.on("update", (u: Uint8Array) => later.push(u));
    d2.getText("body").insert(1, "b");
    d2.getText("body").insert(2, "c");
    const skipping = Y.mergeUpdates([mine[0]!, later[1]!]);
    expect(Y.decodeUpdate(skipping).structs.some((x) => x instanceof Y.Skip)).toBe(true);
    expect(updateProblem(skipping, device)).toBeUndefined();
    const gc = handMade(1, [0x00, 3]);
    expect(Y.decodeUpdate(gc).structs[0]).toBeInstanceOf(Y.GC);
    expect(updateProblem(gc, device)).toBeUndefined();
  });

  it("bounds every count and length by the bytes left, and refuses truncation and trailing bytes", () => {
    const honest = draftEdit([draftEdit([], "cd".repeat(32), "a\nb\n")!], device, "a\nc\n")!;
    for (let n = 1; n < honest.length; n++) expect(updateProblem(honest.subarray(0, n), device)).toBeDefined();
    expect(updateProblem(new Uint8Array([...honest, 0]), device)).toMatch(/bytes after its end/);
    // A text struct claiming a gigabyte of text, a delete set claiming 2^40 clients or deletes.
    expect(updateProblem(handMade(1, [0x04, 1], str("body"), varUint(2 ** 30)), device)).toMatch(/not a Yjs update/);
    expect(updateProblem(new Uint8Array([0, ...varUint(2 ** 40)]), device)).toMatch(/not a Yjs update/);
    expect(updateProblem(new Uint8Array([0, 1, 5, ...varUint(2 ** 40)]), device)).toMatch(/not a Yjs update/);
    expect(updateProblem(new Uint8Array([0, 1, 5, 1, ...varUint(2 ** 53), 1]), device)).toMatch(/not a Yjs update/);
    // Any byte flipped: a verdict, never a throw.
    for (let i = 0; i < honest.length; i++) {
      for (const mask of [0x01, 0x20, 0x80, 0xff]) {
        const u = Uint8Array.from(honest);
        u[i] ^= mask;
        expect(() => updateProblem(u, device)).not.toThrow();
      }
    }
  });

  it("draftDoc skips what the scan refuses, so no stored update reaches Yjs with anything but text", () => {
    const honest = draftEdit([], device, "kept\n")!;
    const doc = draftDoc([capture((d) => d.getText("other").insert(0, "x")), honest, deepAny(20000)]);
    expect(draftText(doc)).toBe("kept\n");
    expect([...doc.share.keys()]).toEqual(["body"]);
    doc.destroy();
  });
});
