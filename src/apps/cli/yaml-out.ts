import { stringify } from "yaml";

/**
 * Objects as a multi-document YAML stream (`---` between documents, no line folding), for the commands that print
 * manifests. A module of its own, loaded with `await import()`: a dynamic `import("yaml")` in a command loses the
 * package's named exports in the bundle (esbuild hands the CommonJS package over as a default export only), and
 * `stringify` arrived as undefined in the built CLI.
 */
export function yamlDocuments(docs: readonly unknown[]): string {
  return docs.map((d) => stringify(d, { lineWidth: 0 })).join("---\n");
}
