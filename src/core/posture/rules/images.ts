/** Image reference rules (PAL-IMG-001..004). Image strings are parsed by the inventory (distribution grammar). */
import { joinPath } from "../../inventory/index.js";
import { globMatch } from "../../util/index.js";
import { NSA } from "../compliance.js";
import type { PostureRule } from "../engine.js";
import { show } from "./helpers.js";

const IMAGES = "images";

export const IMAGE_RULES: readonly PostureRule[] = [
  {
    meta: {
      id: "PAL-IMG-001",
      title: "Image uses the latest tag or no tag",
      severity: "medium",
      category: IMAGES,
      rationale:
        "`latest` and untagged references (which mean `latest`) change under the workload: what runs is not what was reviewed or scanned, and rollbacks are impossible.",
      remediation: "Pin the image to an immutable version tag, or better to a digest (image@sha256:...).",
      compliance: [],
    },
    scope: "container",
    check(cv) {
      const img = cv.info.image;
      // A digest pins the content whatever the tag says.
      if (!img || img.digest !== undefined) return [];
      if (img.tag !== undefined && img.tag !== "latest") return [];
      return [
        {
          fieldPath: joinPath(cv.path, "image"),
          evidence: show(cv.info.imageString),
          message:
            img.tag === undefined
              ? `${cv.label} image ${show(cv.info.imageString)} has no tag (defaults to latest)`
              : `${cv.label} image ${show(cv.info.imageString)} uses the latest tag`,
        },
      ];
    },
  },
  {
    meta: {
      id: "PAL-IMG-002",
      title: "Image not pinned by digest",
      severity: "low",
      category: IMAGES,
      rationale:
        "Tags are mutable: a registry compromise or a re-push changes the code that runs on the next pull. Only a digest identifies the content.",
      remediation:
        "Reference the image by digest (name:tag@sha256:...), e.g. with a CI step that resolves tags.",
      compliance: [],
    },
    scope: "container",
    check(cv) {
      const img = cv.info.image;
      if (!img || img.digest !== undefined) return [];
      return [
        {
          fieldPath: joinPath(cv.path, "image"),
          evidence: show(cv.info.imageString),
          message: `${cv.label} image ${show(cv.info.imageString)} is not pinned by digest`,
        },
      ];
    },
  },
  {
    meta: {
      id: "PAL-IMG-003",
      title: "Image from a registry outside the allow-list",
      severity: "medium",
      category: IMAGES,
      rationale:
        "Images should come only from trusted registries where they are scanned and signed; any other registry is an unreviewed supply chain.",
      remediation:
        "Mirror the image into an allowed registry, or add the registry to the allow-list if it is trusted.",
      compliance: [NSA.secureImages],
    },
    scope: "container",
    check(cv, _wv, env) {
      const allowed = env.opts.allowedRegistries;
      const img = cv.info.image;
      if (allowed.length === 0 || !img) return [];
      if (allowed.some((g) => globMatch(g, img.registry) || globMatch(g, img.name))) return [];
      return [
        {
          fieldPath: joinPath(cv.path, "image"),
          evidence: img.registry,
          message: `${cv.label} image ${show(cv.info.imageString)} comes from registry ${img.registry}, not in the allow-list`,
        },
      ];
    },
  },
  {
    meta: {
      id: "PAL-IMG-004",
      title: "imagePullPolicy is not Always for a mutable tag",
      severity: "low",
      category: IMAGES,
      rationale:
        "With a tag (not a digest) and IfNotPresent/Never, each node runs whatever it pulled first: nodes diverge silently, and a pod can use an image cached by another tenant without the registry checking its pull credentials.",
      remediation: "Pin by digest, or set imagePullPolicy: Always.",
      compliance: [],
    },
    scope: "container",
    check(cv, wv) {
      const img = cv.info.image;
      if (!img || img.digest !== undefined) return [];
      const explicit = wv.read.str(cv.spec, "imagePullPolicy", cv.path);
      // API defaulting (pkg/apis/core/v1/defaults.go): Always when the tag is latest or absent, else IfNotPresent.
      const policy = explicit ?? (img.tag === undefined || img.tag === "latest" ? "Always" : "IfNotPresent");
      if (policy === "Always") return [];
      return [
        {
          fieldPath: joinPath(cv.path, "imagePullPolicy"),
          evidence: policy,
          message: `${cv.label} pulls mutable image ${show(cv.info.imageString)} with policy ${policy}${explicit === undefined ? " (defaulted)" : ""}`,
        },
      ];
    },
  },
];
