import { PalisadeError } from "../../../core/errors/index.js";
import type { CoverageEntry } from "../../../core/findings/index.js";
import { type KnownImage, parseKnownImage, type RemediationRecord } from "../../../core/lineage/index.js";
import {
  type ImageRow,
  parseRemediationRecord,
  planImagePut,
  sortedMoves,
  storedImages,
  tagRefs,
} from "../lineage-rows.js";
import type { KnownImageStore, RemediationStore, RemediationUpdate, StoredImage, TagMove } from "../ports.js";
import type { PgConnection } from "./connection.js";
import { fromPgText, pgText } from "./text.js";

/** Known images in PostgreSQL; writers serialise on an advisory lock (a tag moves atomically). */
export class PgKnownImageStore implements KnownImageStore {
  constructor(private readonly conn: PgConnection) {}

  async putImages(images: readonly KnownImage[], now: Date): Promise<void> {
    if (images.length === 0) return;
    const t = (x: string) => this.conn.t(x);
    await this.conn.locked("cannot store known images", "known-images", async (c) => {
      const rows = new Map<string, ImageRow>();
      const load = async (digests: string[]) => {
        const want = digests.filter((d) => !rows.has(d));
        if (want.length === 0) return;
        for (const r of (
          await c.query(
            `SELECT digest, platform, first_seen, last_seen, image FROM ${t("known_images")} WHERE digest = ANY($1::text[])`,
            [want.map(pgText)],
          )
        ).rows as {
          digest: string;
          platform: string;
          first_seen: string;
          last_seen: string;
          image: string;
        }[]) {
          const digest = fromPgText(r.digest);
          rows.set(digest, {
            digest,
            platform: fromPgText(r.platform),
            firstSeen: r.first_seen,
            lastSeen: r.last_seen,
            image: parseKnownImage(JSON.parse(r.image)),
          });
        }
      };
      await load(images.map((i) => i.digest));
      const refs = tagRefs(images);
      const owners = new Map<string, Set<string>>(refs.map((r) => [r, new Set<string>()]));
      for (const r of (
        await c.query(`SELECT ref, digest FROM ${t("known_image_refs")} WHERE ref = ANY($1::text[])`, [
          refs.map(pgText),
        ])
      ).rows as { ref: string; digest: string }[])
        owners.get(fromPgText(r.ref))?.add(fromPgText(r.digest));
      await load([...new Set([...owners.values()].flatMap((s) => [...s]))]);
      const plan = planImagePut(images, now.toISOString(), { rows, owners });
      if (plan.rows.length > 0)
        await c.query(
          `INSERT INTO ${t("known_images")} (digest, platform, first_seen, last_seen, image)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
           ON CONFLICT (digest) DO UPDATE SET platform = EXCLUDED.platform, first_seen = EXCLUDED.first_seen,
             last_seen = EXCLUDED.last_seen, image = EXCLUDED.image`,
          [
            plan.rows.map((r) => pgText(r.digest)),
            plan.rows.map((r) => pgText(r.platform)),
            plan.rows.map((r) => r.firstSeen),
            plan.rows.map((r) => r.lastSeen),
            plan.rows.map((r) => JSON.stringify(r.image)),
          ],
        );
      if (plan.deleteRefs.length > 0)
        await c.query(
          `DELETE FROM ${t("known_image_refs")} r USING unnest($1::text[], $2::text[]) AS d(ref, digest)
           WHERE r.ref = d.ref AND r.digest = d.digest`,
          [plan.deleteRefs.map(([r]) => pgText(r)), plan.deleteRefs.map(([, d]) => pgText(d))],
        );
      if (plan.addRefs.length > 0)
        await c.query(
          `INSERT INTO ${t("known_image_refs")} (ref, digest) SELECT * FROM unnest($1::text[], $2::text[])
           ON CONFLICT DO NOTHING`,
          [plan.addRefs.map(([r]) => pgText(r)), plan.addRefs.map(([, d]) => pgText(d))],
        );
      // WITH ORDINALITY keeps the plan's order in seq (the order of one tag's steps).
      if (plan.moves.length > 0)
        await c.query(
          `INSERT INTO ${t("image_tag_history")} (ref, platform, digest, at)
           SELECT ref, platform, digest, at
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS m(ref, platform, digest, at, n)
           ORDER BY n`,
          [
            plan.moves.map((m) => pgText(m.ref)),
            plan.moves.map((m) => pgText(m.platform)),
            plan.moves.map((m) => pgText(m.digest)),
            plan.moves.map((m) => m.at),
          ],
        );
      await this.conn.bumpRevision(c);
    });
  }

  async tagHistory(ref?: string): Promise<TagMove[]> {
    const rows = await this.conn.query<{
      seq: string;
      ref: string;
      platform: string;
      digest: string;
      at: string;
    }>(
      `SELECT seq, ref, platform, digest, at FROM ${this.conn.t("image_tag_history")}${ref === undefined ? "" : " WHERE ref = $1"}`,
      ref === undefined ? [] : [pgText(ref)],
      "cannot read tag history",
    );
    return sortedMoves(
      rows.map((r) => ({
        seq: Number(r.seq),
        ref: fromPgText(r.ref),
        platform: fromPgText(r.platform),
        digest: fromPgText(r.digest),
        at: r.at,
      })),
    );
  }

  async listImages(): Promise<{ images: StoredImage[]; coverage: CoverageEntry[] }> {
    const rows = await this.conn.query<{
      digest: string;
      first_seen: string;
      last_seen: string;
      image: string;
    }>(
      `SELECT digest, first_seen, last_seen, image FROM ${this.conn.t("known_images")} ORDER BY digest`,
      [],
      "cannot read known images",
    );
    return storedImages(
      rows.map((r) => ({
        digest: fromPgText(r.digest),
        firstSeen: r.first_seen,
        lastSeen: r.last_seen,
        image: r.image,
      })),
    );
  }
}

/**
 * Remediation records in PostgreSQL. `update` holds a transaction-scoped advisory lock of the schema from before
 * its read until its commit: a second advancer (another connection, another process) waits, then reads the
 * first one's records, so no update is lost.
 */
export class PgRemediationStore implements RemediationStore {
  constructor(private readonly conn: PgConnection) {}

  private parse(rows: { record: string }[]): RemediationRecord[] {
    return rows.map((r) => {
      try {
        return parseRemediationRecord(r.record);
      } catch (e) {
        throw new PalisadeError(
          "INTEGRITY",
          `database is damaged (remediation record: ${e instanceof Error ? e.message : String(e)})`,
          { cause: e, context: { url: this.conn.redactedUrl } },
        );
      }
    });
  }

  async listRecords(): Promise<RemediationRecord[]> {
    return this.parse(
      await this.conn.query<{ record: string }>(
        `SELECT record FROM ${this.conn.t("remediation_records")} ORDER BY key`,
        [],
        "cannot read remediation records",
      ),
    );
  }

  async update<T>(fn: (current: RemediationRecord[]) => RemediationUpdate<T>): Promise<T> {
    const t = (x: string) => this.conn.t(x);
    // What `fn` throws is the caller's error, passed through as it is (the transaction rolls back either way).
    let thrown: { error: unknown } | undefined;
    const run = this.conn.locked("cannot update remediation records", "remediation", async (c) => {
      const current = this.parse(
        (await c.query(`SELECT record FROM ${t("remediation_records")} ORDER BY key`)).rows as {
          record: string;
        }[],
      );
      let out: RemediationUpdate<T>;
      try {
        out = fn(current);
      } catch (e) {
        thrown = { error: e };
        throw e;
      }
      const recs = [...new Map(out.records.map((r) => [r.key, r])).values()];
      if (recs.length > 0)
        await c.query(
          `INSERT INTO ${t("remediation_records")} (key, state, updated_at, record)
           SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
           ON CONFLICT (key) DO UPDATE SET state = EXCLUDED.state, updated_at = EXCLUDED.updated_at,
             record = EXCLUDED.record`,
          [
            recs.map((r) => pgText(r.key)),
            recs.map((r) => pgText(r.state)),
            recs.map((r) => pgText(r.updatedAt)),
            recs.map((r) => JSON.stringify(r)),
          ],
        );
      if (recs.length > 0) await this.conn.bumpRevision(c);
      return out.result;
    });
    try {
      return await run;
    } catch (e) {
      if (thrown) throw thrown.error;
      throw e;
    }
  }
}
