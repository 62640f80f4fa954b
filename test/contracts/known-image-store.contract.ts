import { describe, expect, it } from "vitest";
import { dg, img } from "../../src/core/lineage/__fixtures__/images.js";
import { type MakeStores, storesOpener } from "./stores.js";

const T0 = new Date("2025-01-01T00:00:00Z");
const T1 = new Date("2025-01-02T00:00:00Z");

/** The KnownImageStore contract: every backend runs this one suite. */
export function describeKnownImageStoreContract(name: string, make: MakeStores): void {
  describe(`KnownImageStore contract: ${name}`, () => {
    const open = storesOpener(make);

    it("remembers images by digest, merges refs, and moves a tag to its new image of the same platform", async () => {
      const s = (await open()).images;
      await s.putImages(
        [
          img(1, ["a/app:1", "a/app:latest"], ["x"]),
          img(3, ["a/app:latest"], ["x"], [], { platform: "linux/arm64" }),
        ],
        T0,
      );
      await s.putImages([img(2, ["a/app:latest"], ["x", "y"]), img(1, ["a/app:1.0"], ["x"])], T1);
      expect(await s.listImages()).toEqual({
        images: [
          {
            image: img(1, ["a/app:1", "a/app:1.0"], ["x"]),
            firstSeen: T0.toISOString(),
            lastSeen: T1.toISOString(),
          },
          {
            image: img(2, ["a/app:latest"], ["x", "y"]),
            firstSeen: T1.toISOString(),
            lastSeen: T1.toISOString(),
          },
          {
            image: img(3, ["a/app:latest"], ["x"], [], { platform: "linux/arm64" }),
            firstSeen: T0.toISOString(),
            lastSeen: T0.toISOString(),
          },
        ],
        coverage: [],
      });
    });

    it("a tag moved within one batch ends on the last image named; digest refs never move", async () => {
      const s = (await open()).images;
      const pinned = `docker.io/a/app@${dg(9)}`;
      await s.putImages(
        [img(1, ["a/app:1", pinned], ["x"]), img(2, ["a/app:1"], ["y"]), img(3, ["a/app:1", pinned], ["z"])],
        T0,
      );
      const listed = await s.listImages();
      expect(listed.images.map((i) => [i.image.digest, i.image.refs])).toEqual([
        [dg(1), [pinned]],
        [dg(2), []],
        [dg(3), ["docker.io/a/app:1", pinned]],
      ]);
    });

    it("records each tag's history: the digests it named, in order, per platform; digest refs have none", async () => {
      const s = (await open()).images;
      const T2 = new Date("2025-01-03T00:00:00Z");
      await s.putImages([img(1, ["a/os:12", `docker.io/a/os@${dg(1)}`], ["x"])], T0);
      await s.putImages([img(4, ["a/os:12"], ["x"], [], { platform: "linux/arm64" })], T0);
      // Seen again naming the same image: no new step.
      await s.putImages([img(1, ["a/os:12"], ["x"])], T1);
      // Rebuilt under the same tag, then moved back, within one batch and across batches.
      await s.putImages([img(2, ["a/os:12"], ["y"]), img(3, ["a/os:12", "a/os:12.1"], ["z"])], T1);
      await s.putImages([img(1, ["a/os:12"], ["x"])], T2);
      const step = (ref: string, platform: string, d: number, at: Date) => ({
        ref: `docker.io/${ref}`,
        platform,
        digest: dg(d),
        at: at.toISOString(),
      });
      const amd = img(1, [], ["x"]).platform ?? "";
      expect(await s.tagHistory("docker.io/a/os:12")).toEqual([
        step("a/os:12", amd, 1, T0),
        step("a/os:12", amd, 2, T1),
        step("a/os:12", amd, 3, T1),
        step("a/os:12", amd, 1, T2),
        step("a/os:12", "linux/arm64", 4, T0),
      ]);
      expect((await s.tagHistory()).map((m) => m.ref)).toEqual([
        ...Array(5).fill("docker.io/a/os:12"),
        "docker.io/a/os:12.1",
      ]);
      expect(await s.tagHistory("docker.io/a/none:1")).toEqual([]);
    });

    it("an empty batch changes nothing, and stored images are copies", async () => {
      const s = (await open()).images;
      await s.putImages([], T0);
      const mine = img(1, ["a/app:1"], ["x"]);
      await s.putImages([mine], T0);
      mine.refs.push("a/app:mutated");
      const first = await s.listImages();
      first.images[0]?.image.refs.push("a/app:mutated-too");
      expect((await s.listImages()).images.map((i) => i.image.refs)).toEqual([["docker.io/a/app:1"]]);
    });
  });
}
