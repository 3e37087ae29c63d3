/**
 * How every app's records carry files: a `files` add-wins set of file references (ref.ts),
 * added to each app's schema as a new version, so a batch that attaches nothing still names the
 * older version and vaults of the previous release keep reading it, while one that attaches
 * waits on them until they upgrade (docs/apps.md, "Versions"). The version at which each app
 * gained the field is fixed here forever: later versions of an app keep the field.
 */
import type { AppModule, FieldSpec, RecordView } from "../app.js";
import { decodeRef, MAX_REF_BYTES, type FileRef } from "./ref.js";

export const FILES_FIELD: FieldSpec = { name: "files", kind: "bytes", merge: "set", maxLength: MAX_REF_BYTES, maxItems: 64 };

/**
 * The schema version from which each app's records may carry files. Never change an entry, and an
 * app's own next version skips this number (its fields, plus files, are that version; a test
 * holds every app to it): each was one above the app's newest version when files came.
 */
export const FILES_SINCE: Readonly<Record<string, number>> = { notes: 2, secrets: 2, contacts: 2, tickets: 2, docs: 2, events: 3 };

/**
 * The app with `files` in every schema version from FILES_SINCE on: that version is the one
 * before it plus files, and every later version of the app's own gets files too.
 */
export function withAttachments(app: AppModule): AppModule {
  const since = FILES_SINCE[app.schema.app];
  if (since === undefined) return app;
  if (app.schema.versions[since] !== undefined) throw new Error(`${app.schema.app} defines its own schema version ${since}, which is its files version (apps/attachments/field.ts)`);
  const versions: Record<number, readonly FieldSpec[]> = { ...app.schema.versions, [since]: app.schema.versions[since - 1] ?? [] };
  for (const [v, fields] of Object.entries(versions)) {
    if (Number(v) >= since && !fields.some((f) => f.name === FILES_FIELD.name)) versions[Number(v)] = [...fields, FILES_FIELD];
  }
  const inner = app.check;
  return {
    ...app,
    schema: { ...app.schema, version: Math.max(app.schema.version, since), versions },
    searchText: (view, context) => {
      const text = app.searchText(view, context);
      const names = filesOf(view).map((f) => f.name);
      return names.length === 0 ? text : { title: text.title, body: [text.body, ...names].join("\n") };
    },
    check(intents, context) {
      for (const [i, x] of intents.entries()) {
        if (x.kind !== "add" || x.field !== FILES_FIELD.name) continue;
        const ref = decodeRef(x.value as Uint8Array);
        if (typeof ref === "string") return `op ${i}: ${ref}`;
      }
      // The app judges files ops like its own fields (who may attach to what: docs lets only a
      // record's author, tickets wants a history entry), so it sees every intent. Its own
      // version numbers go on past the files version: the version passes through unchanged.
      return inner?.(intents, context);
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
