/**
 * Strict readers for decoded vault structures: each names the field that was wrong, so a
 * hostile or damaged entry is refused with a message a person can act on.
 */
import { AirlockError } from "@airlock/shared";
import type { Plain } from "./cbor-object.js";

export type Obj = { readonly [k: string]: Plain | undefined };

export class Reader {
  constructor(
    private readonly code: string,
    private readonly what: string,
    private readonly hint: string,
  ) {}

  fail(message: string): never {
    throw new AirlockError(this.code, `${this.what}: ${message}`, { hint: this.hint });
  }

  obj(v: Plain | undefined, path: string, allowed?: readonly string[]): Obj {
    if (v === null || typeof v !== "object" || v instanceof Uint8Array || Array.isArray(v)) this.fail(`${path} must be a map`);
    const o = v as Obj;
    if (allowed !== undefined) for (const k of Object.keys(o)) if (!allowed.includes(k)) this.fail(`${path} has unknown field "${k}"`);
    return o;
  }

  bytes(v: Plain | undefined, path: string, min: number, max = min): Uint8Array {
    if (!(v instanceof Uint8Array) || v.length < min || v.length > max) {
      this.fail(`${path} must be ${min === max ? `${min}` : `${min}..${max}`} bytes`);
    }
    return v;
  }

  text(v: Plain | undefined, path: string, max: number, min = 0): string {
    if (typeof v !== "string" || v.length > max || v.length < min) this.fail(`${path} must be text of ${min}..${max} characters`);
    return v;
  }

  uint(v: Plain | undefined, path: string, max = Number.MAX_SAFE_INTEGER): number {
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0 || v > max) this.fail(`${path} must be an integer in 0..${max}`);
    return v;
  }

  array(v: Plain | undefined, path: string, max: number): readonly Plain[] {
    if (!Array.isArray(v) || v.length > max) this.fail(`${path} must be a list of at most ${max} items`);
    return v as readonly Plain[];
  }

  oneOf<T extends string>(v: Plain | undefined, path: string, options: readonly T[]): T {
    if (typeof v !== "string" || !(options as readonly string[]).includes(v)) this.fail(`${path} must be one of ${options.join(", ")}`);
    return v as T;
  }
}
