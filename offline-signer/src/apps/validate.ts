/**
 * The schema check every vault runs on a batch the same way (so all reject the same batches):
 * each op's field exists in the version the batch names, its kind fits the field's merge rule,
 * and its value the field's kind and limits. Pure: no clock, no store.
 */
import { HLC_BYTES } from "../records/hlc.js";
import type { Value } from "../records/values.js";
import type { AppModule, CheckContext, FieldSpec, Intent, ValueKind } from "./app.js";
import type { OpKind } from "./fold.js";

/** An op as the check sees it: an intent, or a remove whose value is the tags it names. */
export interface CheckedOp {
  readonly kind: OpKind;
  readonly record: string;
  readonly field: string;
  readonly value: Value;
}

/** Most additions one remove op may name (44 bytes each): bounds what a fold holds for one op. */
export const MAX_REMOVE_TAGS = 4096;

const MERGE_OF: Record<Exclude<OpKind, "delete">, FieldSpec["merge"]> = { set: "lww", append: "list", add: "set", remove: "set" };

function kindProblem(kind: ValueKind, v: Value, max: number): string | undefined {
  switch (kind) {
    case "text":
    case "longtext":
      if (typeof v !== "string") return "must be text";
      if (v.length > max) return `is longer than ${max} characters`;
      if (kind === "text" && /[\r\n]/.test(v)) return "must be one line";
      return undefined;
    case "int":
      return typeof v === "number" ? undefined : "must be a whole number";
    case "bool":
      return typeof v === "boolean" ? undefined : "must be true or false";
    case "bytes":
      if (!(v instanceof Uint8Array)) return "must be bytes";
      return v.length > max ? `is longer than ${max} bytes` : undefined;
  }
}

/** Why a batch of `version` may not be applied, or undefined. Call only with version <= schema.version. */
export function schemaProblem(app: AppModule, version: number, ops: readonly CheckedOp[], options: { snapshot?: boolean } = {}): string | undefined {
  const fields = app.schema.versions[version];
  if (fields === undefined) return `names ${app.schema.app} schema version ${version}, which never existed`;
  const byName = new Map(fields.map((f) => [f.name, f]));
  const added = new Map<string, number>();
  for (const [i, op] of ops.entries()) {
    if (op.kind === "delete") {
      if (op.value !== null) return `op ${i}: a delete carries no value`;
      continue;
    }
    const spec = byName.get(op.field);
    if (spec === undefined) return `op ${i}: ${app.schema.app} has no field "${op.field}"`;
    if (MERGE_OF[op.kind] !== spec.merge) return `op ${i}: "${op.field}" is ${spec.merge === "lww" ? "a single value" : spec.merge === "set" ? "a set" : "a list"}, not written with ${op.kind}`;
    if (op.kind === "remove") {
      if (!(op.value instanceof Uint8Array) || op.value.length === 0 || op.value.length % HLC_BYTES !== 0) return `op ${i}: a remove names whole tags`;
      if (op.value.length > MAX_REMOVE_TAGS * HLC_BYTES) return `op ${i}: a remove names more than ${MAX_REMOVE_TAGS} additions`;
      continue;
    }
    if (op.kind === "set" && op.value === null) continue; // clears the field
    const why = kindProblem(spec.kind, op.value, spec.maxLength);
    if (why !== undefined) return `op ${i}: "${op.field}" ${why}`;
    // A snapshot restates what many batches added over time: the per-batch item bound is theirs, not its.
    if (op.kind !== "set" && spec.maxItems !== undefined && options.snapshot !== true) {
      const key = `${op.record}\u0000${op.field}`;
      const n = (added.get(key) ?? 0) + 1;
      if (n > spec.maxItems) return `op ${i}: adds more than ${spec.maxItems} items to "${op.field}" at once`;
      added.set(key, n);
    }
  }
  return undefined;
}

/** The same check on what this device is about to write, before any tag is looked up. */
export function intentProblem(app: AppModule, intents: readonly Intent[]): string | undefined {
  const ops: CheckedOp[] = intents.map((i) =>
    i.kind === "delete" ? { kind: "delete", record: i.record, field: "", value: null } : i.kind === "remove" ? { ...i, value: new Uint8Array(HLC_BYTES) } : i,
  );
  return schemaProblem(app, app.schema.version, ops);
}

/**
 * The oldest schema version these ops keep to: what a writer names, so vaults that have not
 * upgraded yet still read every change that uses only what they know.
 */
export function lowestVersion(app: AppModule, ops: readonly CheckedOp[], check: (version: number) => string | undefined): number {
  for (let v = 1; v < app.schema.version; v++) {
    if (app.schema.versions[v] !== undefined && schemaProblem(app, v, ops) === undefined && check(v) === undefined) return v;
  }
  return app.schema.version;
}

/** An op as an app's `check` sees it: what was asked for, without the clock. */
export function intentOf(o: CheckedOp): Intent {
  return o.kind === "delete" ? { kind: "delete", record: o.record } : { kind: o.kind, record: o.record, field: o.field, value: o.value };
}

/**
 * Everything a batch of `version` must pass on every vault: the schema, then the app's own check
 * against the team at the batch's causal position. Used on import and by a vault checking what it
 * is about to publish (a compaction snapshot), so both judge alike.
 */
export function batchProblem(app: AppModule, version: number, ops: readonly CheckedOp[], context: Omit<CheckContext, "version">, options: { snapshot?: boolean } = {}): string | undefined {
  return schemaProblem(app, version, ops, options) ?? app.check?.(ops.map(intentOf), { ...context, version, ...(options.snapshot === true ? { snapshot: true } : {}) });
}
