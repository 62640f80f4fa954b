/**
 * The floor of bench/admission.ts: a bare node:https server with the webhook's certificate, that reads each body,
 * JSON.parses it and answers a fixed-shape AdmissionReview (allowed, the request's uid), and serves the one /metrics
 * line the bench reads. What TLS, HTTP and JSON cost per request under the same load, on the same core, before
 * anything Palisade does. Run it as one of the bench's servers (it takes the CLI's arguments and ignores the rest):
 *
 *   ADMISSION_BENCH_SERVERS=floor=bench/admission-floor.mjs,after=dist/cli/palisade.js taskset -c 0 \
 *     npx tsx bench/admission.ts 15 1
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:https";

const arg = (name) => process.argv[process.argv.indexOf(name) + 1];
let answered = 0;
const server = createServer(
  { cert: readFileSync(arg("--tls-cert")), key: readFileSync(arg("--tls-key")) },
  (req, res) => {
    if (req.method !== "POST") {
      req.resume();
      const text =
        req.url === "/metrics"
          ? `palisade_admission_duration_seconds_count{endpoint="validate"} ${answered}\n`
          : "ok";
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(text);
      return;
    }
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      const review = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      answered++;
      const text = JSON.stringify({
        apiVersion: "admission.k8s.io/v1",
        kind: "AdmissionReview",
        response: { uid: review.request.uid, allowed: true },
      });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
      res.end(text);
    });
  },
);
server.listen(0, "127.0.0.1", () =>
  process.stderr.write(`admission floor listening on https://127.0.0.1:${server.address().port}\n`),
);
process.once("SIGTERM", () => process.exit(0));
