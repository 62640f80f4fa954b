import type { FileHandle } from "node:fs/promises";
import { posix } from "node:path";
import { Readable } from "node:stream";
import { PalisadeError } from "../../core/errors/index.js";
import { asArray, isRecord } from "../../core/util/index.js";
import { openRegularFile } from "../fs/index.js";
import { digestOf, verified } from "./digest.js";
import {
  type Descriptor,
  MAX_CONFIG_BYTES,
  MAX_LAYERS,
  MAX_MANIFEST_BYTES,
  parseImageConfig,
  parseIndex,
  parseJsonDocument,
  parsePlatform,
} from "./manifest.js";
import {
  DEFAULT_PLATFORM,
  type ImageSource,
  type ImageSourceDescriptor,
  type ResolvedImage,
  type ResolvedLayer,
  resolveManifestDocument,
  type SourceOptions,
  verifyDescriptor,
} from "./source.js";
import { indexTar, type TarMember } from "./tar-index.js";

/**
 * A `docker save` tarball. Both forms are read through the `manifest.json` that docker (and skopeo) write:
 * `[{Config, RepoTags, Layers}]`, where layers are uncompressed tars named `<id>/layer.tar` (classic) or
 * `blobs/sha256/<hex>` (Docker 25+, which also embeds an OCI layout). Archives with only the OCI layout
 * (`index.json`) are read as a layout. Members are streamed by offset from the tar; nothing is extracted.
 */
export class DockerArchiveSource implements ImageSource {
  readonly transport = "docker-archive" as const;
  readonly name: string;
  private fh: FileHandle | undefined;
  private members: Map<string, TarMember> | undefined;

  constructor(
    private readonly file: string,
    private readonly opts: SourceOptions = {},
  ) {
    this.name = `docker-archive:${file}`;
  }

  private async index(): Promise<Map<string, TarMember>> {
    if (this.members) return this.members;
    // Regular files only: a FIFO or a device named as an archive would block or never end.
    const { fh, size } = await openRegularFile(this.file, "docker archive");
    this.fh = fh;
    const st = { size };
    const head = Buffer.alloc(4);
    await this.fh.read(head, 0, 4, 0);
    if ((head[0] === 0x1f && head[1] === 0x8b) || (head[0] === 0x28 && head[1] === 0xb5))
      throw new PalisadeError(
        "UNSUPPORTED",
        `${this.file} is compressed: decompress it first (docker save writes a plain tar)`,
        {
          context: { file: this.file },
        },
      );
    try {
      this.members = await indexTar(this.fh, st.size);
    } catch (e) {
      if (e instanceof PalisadeError) {
        // The file is named once, by the context (describe() puts it in front of the message).
        throw new PalisadeError(e.code, e.message, { cause: e, context: { file: this.file } });
      }
      throw e;
    }
    return this.members;
  }

  /** Find a member, following in-archive symlinks (skopeo links `<id>/layer.tar` to `../<diffid>.tar`). */
  private async member(name: string): Promise<TarMember> {
    const members = await this.index();
    let cur = posix.normalize(name).replace(/^\.\//, "");
    for (let hops = 0; hops < 8; hops++) {
      if (cur.startsWith("../") || cur.startsWith("/"))
        throw new PalisadeError("UNSAFE", `archive member ${name} points outside the archive`, {
          context: { file: this.file },
        });
      const m = members.get(cur);
      if (!m)
        throw new PalisadeError("INPUT", `archive member ${cur} not found`, { context: { file: this.file } });
      if (m.type !== "2" && m.type !== "1") return m;
      cur =
        m.type === "2"
          ? posix.normalize(posix.join(posix.dirname(cur), m.linkname))
          : posix.normalize(m.linkname);
    }
    throw new PalisadeError("INPUT", `archive member ${name}: too many link hops`, {
      context: { file: this.file },
    });
  }

  private async readMember(name: string, max: number): Promise<Buffer> {
    const m = await this.member(name);
    if (m.size > max)
      throw new PalisadeError("LIMIT", `archive member ${name}: ${m.size} bytes exceeds ${max}`);
    const b = Buffer.alloc(m.size);
    await this.fh?.read(b, 0, m.size, m.offset);
    return b;
  }

  async resolve(): Promise<ResolvedImage> {
    const members = await this.index();
    if (!members.has("manifest.json") && members.has("index.json")) return this.resolveOci();
    const doc = parseJsonDocument(
      await this.readMember("manifest.json", MAX_MANIFEST_BYTES),
      "manifest.json",
    );
    const entries = asArray(doc);
    if (entries.length === 0)
      throw new PalisadeError("INPUT", "manifest.json: no images", { context: { file: this.file } });
    if (entries.length > 1)
      throw new PalisadeError(
        "UNSUPPORTED",
        `manifest.json lists ${entries.length} images; save one image per archive`,
        {
          context: { file: this.file },
        },
      );
    const e = entries[0];
    if (!isRecord(e) || typeof e.Config !== "string" || !Array.isArray(e.Layers))
      throw new PalisadeError("INPUT", "manifest.json: entry without Config or Layers", {
        context: { file: this.file },
      });
    if (e.Layers.length > MAX_LAYERS) throw new PalisadeError("LIMIT", `more than ${MAX_LAYERS} layers`);
    const cfgBytes = await this.readMember(e.Config, MAX_CONFIG_BYTES);
    const config = parseImageConfig(parseJsonDocument(cfgBytes, "image config"));
    if (config.diffIds.length !== e.Layers.length)
      throw new PalisadeError(
        "INPUT",
        `manifest.json lists ${e.Layers.length} layers but config has ${config.diffIds.length} diff_ids`,
      );
    const layers: ResolvedLayer[] = [];
    for (const [i, l] of e.Layers.entries()) {
      if (typeof l !== "string")
        throw new PalisadeError("INPUT", `manifest.json: Layers[${i}] is not a string`);
      const m = await this.member(l);
      const blobDigest = /^blobs\/(sha256|sha512)\/([a-f0-9]+)$/.exec(m.name);
      layers.push({
        blob: {
          digest: blobDigest ? `${blobDigest[1]}:${blobDigest[2]}` : undefined,
          mediaType: "application/vnd.docker.image.rootfs.diff.tar",
          size: m.size,
          ref: l,
        },
        diffId: config.diffIds[i] as string,
        createdBy: config.layerCreatedBy[i],
      });
    }
    const img: ResolvedImage = { configDigest: digestOf(cfgBytes), config, layers };
    if (config.os && config.architecture)
      img.platform = `${config.os}/${config.architecture}${config.variant ? `/${config.variant}` : ""}`;
    const tags = asArray(e.RepoTags).filter((t): t is string => typeof t === "string");
    if (tags.length) img.repoTags = tags;
    return img;
  }

  private async resolveOci(): Promise<ResolvedImage> {
    const index = parseIndex(
      parseJsonDocument(await this.readMember("index.json", MAX_MANIFEST_BYTES), "index.json"),
    );
    const read = async (d: Descriptor, max: number, what: string) => {
      const [alg, hex] = d.digest.split(":");
      const b = await this.readMember(`blobs/${alg}/${hex}`, max);
      verifyDescriptor(b, d, what);
      return b;
    };
    const platform = this.opts.platform ? parsePlatform(this.opts.platform) : DEFAULT_PLATFORM;
    const top = index.manifests[0];
    if (!top) throw new PalisadeError("INPUT", "index.json: no manifests");
    const bytes =
      index.manifests.length === 1
        ? await read(top, MAX_MANIFEST_BYTES, "manifest")
        : Buffer.from(JSON.stringify(index));
    const img = await resolveManifestDocument(
      bytes,
      index.manifests.length === 1 ? top.digest : undefined,
      top.mediaType,
      read,
      platform,
    );
    for (const l of img.layers) {
      const [alg, hex] = (l.blob.digest ?? "").split(":");
      l.blob.ref = `blobs/${alg}/${hex}`;
    }
    return img;
  }

  async openLayer(layer: ResolvedLayer): Promise<Readable> {
    const m = await this.member(layer.blob.ref);
    // Read through the handle opened (and checked) at index time, never the path again.
    const raw =
      m.size === 0 || !this.fh
        ? Readable.from([], { objectMode: false })
        : this.fh.createReadStream({ start: m.offset, end: m.offset + m.size - 1, autoClose: false });
    // Classic `docker save` names layers by v1 id, not by digest: then only the diff_id check applies.
    return layer.blob.digest ? verified(raw, layer.blob.digest, `layer ${layer.blob.ref}`, m.size) : raw;
  }

  async close(): Promise<void> {
    await this.fh?.close();
    this.fh = undefined;
    this.members = undefined;
  }
}

/** `docker-archive:FILE`. */
export const DOCKER_ARCHIVE_SOURCE: ImageSourceDescriptor<"docker-archive", { file: string }> = {
  transport: "docker-archive",
  prefixes: ["docker-archive:"],
  parse(file) {
    if (file === "") throw new PalisadeError("USAGE", "docker-archive: needs a file");
    return { file };
  },
  open: (s, opts) => new DockerArchiveSource(s.file, { platform: opts.platform }),
};
