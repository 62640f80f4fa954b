import { PalisadeError } from "../../core/errors/index.js";
import { parseImageRef } from "../../core/inventory/index.js";

/** A parsed source spec, in skopeo's transport:reference spirit. */
export type SourceSpec =
  | { transport: "oci"; dir: string; tag?: string | undefined }
  | { transport: "docker-archive"; file: string }
  | { transport: "dir"; path: string }
  | { transport: "registry"; registry: string; repository: string; reference: string; display: string };

/**
 * Parse `oci:DIR[:TAG]`, `docker-archive:FILE`, `dir:PATH`, `registry:HOST/REPO[:TAG|@DIGEST]`, or a bare image
 * reference (= registry; Docker Hub defaults apply). For `oci:` the tag is what follows the LAST colon, when
 * that text has no slash (so `oci:/a/b:c` is dir /a/b, tag c).
 */
export function parseSourceSpec(spec: string): SourceSpec {
  const s = spec.trim();
  if (s.startsWith("oci:")) {
    const rest = s.slice(4);
    const colon = rest.lastIndexOf(":");
    if (colon > 0 && !rest.slice(colon + 1).includes("/"))
      return { transport: "oci", dir: rest.slice(0, colon), tag: rest.slice(colon + 1) };
    if (rest === "") throw new PalisadeError("USAGE", "oci: needs a directory");
    return { transport: "oci", dir: rest };
  }
  if (s.startsWith("docker-archive:")) {
    const file = s.slice("docker-archive:".length);
    if (file === "") throw new PalisadeError("USAGE", "docker-archive: needs a file");
    return { transport: "docker-archive", file };
  }
  if (s.startsWith("dir:")) {
    const path = s.slice(4);
    if (path === "") throw new PalisadeError("USAGE", "dir: needs a path");
    return { transport: "dir", path };
  }
  const refText = s.startsWith("registry:")
    ? s.slice("registry:".length)
    : s.startsWith("docker://")
      ? s.slice(9)
      : s;
  const r = parseImageRef(refText);
  if (!r.ok) throw new PalisadeError("USAGE", `invalid image reference "${refText}": ${r.error}`);
  const { registry, repository, tag, digest } = r.ref;
  return {
    transport: "registry",
    registry: registry === "docker.io" ? "registry-1.docker.io" : registry,
    repository,
    reference: digest ?? tag ?? "latest",
    display: `${registry}/${repository}${tag ? `:${tag}` : ""}${digest ? `@${digest}` : ""}`,
  };
}
