/**
 * Counted nouns in what the CLIs print: "1 bundle", "2 bundles", "0 bundles", never "bundle(s)"
 * or "1 new bundles". English only, as every message is; the plural form is given where it is
 * not the singular plus "s" ("1 entry", "3 entries").
 */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
