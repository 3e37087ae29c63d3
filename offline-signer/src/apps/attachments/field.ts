/**
 * How every app's records carry files: a `files` add-wins set of file references (ref.ts),
 * added to each app's schema as a new version, so a batch that attaches nothing still names the
 * older version and vaults of the previous release keep reading it, while one that attaches
 * waits on them until they upgrade (docs/apps.md, "Versions"). The version at which each app
 * gained the field is fixed here forever: later versions of an app keep the field.
 */
import type { AppModule, FieldSpec, Intent, RecordView } from "../app.js";
import { decodeRef, MAX_REF_BYTES, type FileRef } from "./ref.js";

export const FILES_FIELD: FieldSpec = { name: "files", kind: "bytes", merge: "set", maxLength: MAX_REF_BYTES, maxItems: 64 };

/** The schema version from which each app's records may carry files. Never change an entry. */
export const FILES_SINCE: Readonly<Record<string, number>> = { notes: 2, secrets: 2, contacts: 2, tickets: 2, docs: 2, events: 2 };

/** The app with `files` in every schema version from FILES_SINCE on. */
export function withAttachments(app: AppModule): AppModule {
  const since = FILES_SINCE[app.schema.app];
  if (since === undefined) return app;
  const own = app.schema.version;
  const versions: Record<number, readonly FieldSpec[]> = { ...app.schema.versions };
  // The app's own newest fields carry on into the attachments version when it has no such version yet.
  if (versions[since] === undefined) versions[since] = app.schema.versions[own] ?? [];
  for (const [v, fields] of Object.entries(versions)) {
    if (Number(v) >= since && !fields.some((f) => f.name === FILES_FIELD.name)) versions[Number(v)] = [...fields, FILES_FIELD];
  }
  const inner = app.check;
  return {
    ...app,
    schema: { ...app.schema, version: Math.max(own, since), versions },
    searchText: (view) => {
      const text = app.searchText(view);
      const names = filesOf(view).map((f) => f.name);
      return names.length === 0 ? text : { title: text.title, body: [text.body, ...names].join("\n") };
    },
    check(intents, context) {
      const mine: Intent[] = [];
      for (const [i, x] of intents.entries()) {
        if (x.kind === "delete" || x.field !== FILES_FIELD.name) mine.push(x);
        else if (x.kind === "add") {
          const ref = decodeRef(x.value as Uint8Array);
          if (typeof ref === "string") return `op ${i}: ${ref}`;
        }
      }
      // The app judges its own fields; who may attach is who may write the collection.
      // The attachments version maps onto the app's own newest one.
      return inner?.(mine, { ...context, version: Math.min(context.version, app.schema.version) });
    },
  };
}

/** The files a record carries, in the set's canonical order; unreadable items are skipped. */
export function filesOf(view: RecordView): FileRef[] {
  const out: FileRef[] = [];
  for (const v of view.sets[FILES_FIELD.name] ?? []) {
    if (!(v instanceof Uint8Array)) continue;
    const ref = decodeRef(v);
    if (typeof ref !== "string") out.push(ref);
  }
  return out;
}
