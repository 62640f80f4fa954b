import type { Sbom } from "../../sbom/index.js";

/**
 * A two-package image SBOM that the OSV fixtures in ./osv match: libssl3 (Debian 12, source openssl) and the npm
 * package semver 7.5.1. Shared by the CLI tests of every store backend.
 */
export const APP_SBOM: Sbom = {
  subject: { kind: "image", name: "app:1" },
  os: { id: "debian", versionId: "12" },
  layers: [],
  packages: [
    {
      type: "deb",
      name: "libssl3",
      version: "3.0.11-1~deb12u1",
      sourceName: "openssl",
      purl: "pkg:deb/debian/libssl3@3.0.11-1~deb12u1",
      locations: [],
    },
    { type: "npm", name: "semver", version: "7.5.1", purl: "pkg:npm/semver@7.5.1", locations: [] },
  ],
};
