/**
 * A fast, faithful model of @ngraveio/bc-ur's fountain *decoder*, for counting how many UR
 * parts a receiver needs at 200 KB, where the real decoder takes ~30 s per trial here (its
 * index sets are arrays searched with includes()). The model takes each part's fragment
 * indexes from bc-ur's own chooseFragments() and replays the decoder's exact algorithm
 * (dist/fountainDecoder.js: simple parts, subset-reduction of mixed parts, the same queue and
 * the same order) on index sets only, without fragment bytes. benchFountain checks that it
 * agrees with the real URDecoder on every trial it can afford before trusting it.
 */
import { chooseFragments } from "@ngraveio/bc-ur/dist/fountainUtils.js";

const contains = (outer: number[], inner: number[]): boolean => inner.every((v) => outer.includes(v));
const difference = (a: number[], b: number[]): number[] => a.filter((x) => !b.includes(x));
const sameSet = (a: number[], b: number[]): boolean => a.length === b.length && a.every((x) => b.includes(x));

/**
 * chooseFragments costs ~4.5 ms a call here (BigInt-based Xoshiro, shuffling all K indexes),
 * and trials of one message replay the same sequence numbers: memoize per (seqLength, checksum).
 */
const memo = new Map<string, Map<number, number[]>>();
function fragmentsOf(seqNum: number, seqLength: number, checksum: number): number[] {
  const key = `${seqLength}/${checksum}`;
  let table = memo.get(key);
  if (table === undefined) memo.set(key, (table = new Map()));
  let indexes = table.get(seqNum);
  if (indexes === undefined) table.set(seqNum, (indexes = chooseFragments(seqNum, seqLength, checksum)));
  return indexes;
}

export class UrDecoderModel {
  readonly #received: Uint8Array;
  #receivedCount = 0;
  #mixed: number[][] = [];
  #queue: number[][] = [];
  #complete = false;

  constructor(readonly seqLength: number, readonly checksum: number) {
    this.#received = new Uint8Array(seqLength);
  }

  get complete(): boolean {
    return this.#complete;
  }

  receive(seqNum: number): void {
    if (this.#complete) return;
    this.#queue.push(fragmentsOf(seqNum, this.seqLength, this.checksum));
    while (!this.#complete && this.#queue.length > 0) {
      const part = this.#queue.shift()!;
      if (part.length === 1) this.#simple(part);
      else this.#mixedPart(part);
    }
  }

  #simple(part: number[]): void {
    const index = part[0]!;
    if (this.#received[index] === 1) return;
    this.#received[index] = 1;
    if (++this.#receivedCount === this.seqLength) this.#complete = true;
    else this.#reduceMixedBy(part);
  }

  #reduceMixedBy(part: number[]): void {
    const next: number[][] = [];
    for (const mixed of this.#mixed) {
      const reduced = contains(mixed, part) ? difference(mixed, part) : mixed;
      if (reduced.length === 1) this.#queue.push(reduced);
      else next.push(reduced);
    }
    this.#mixed = next;
  }

  #mixedPart(part: number[]): void {
    if (this.#mixed.some((m) => sameSet(m, part))) return;
    // Reducing by every simple part in turn removes exactly the indexes already received.
    let p = part.filter((i) => this.#received[i] !== 1);
    for (const m of this.#mixed) if (contains(p, m)) p = difference(p, m);
    if (p.length === 1) this.#queue.push(p);
    else {
      this.#reduceMixedBy(p);
      this.#mixed.push(p);
    }
  }
}
