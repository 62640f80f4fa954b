import { apiGet, query, type StoredFinding } from "../api";
import { ExceptionForm } from "../components/exception-form";
import { Loaded, SeverityBadge } from "../components/state";
import { refText, when } from "../format";
import { Link, useLocation } from "../router";
import { canWriteExceptions, useApi, useSession } from "../session";

/**
 * One finding: what fired, where (file:line:column and field path), the evidence, and what to change; for a role
 * that may write exceptions, an open finding not suppressed yet offers to make one.
 */
export function FindingPage({ id }: { id: string }) {
  const { params } = useLocation();
  const url = `/api/v1/findings/${encodeURIComponent(id)}${query({ cluster: params.get("cluster") ?? undefined })}`;
  const load = useApi(url, () => apiGet<StoredFinding>(url));
  const { principal } = useSession();
  return (
    <section>
      <p>
        <Link href="/findings">← Findings</Link>
      </p>
      <Loaded load={load} what="this finding">
        {(stored) => {
          const { finding: f, cluster, firstSeen, lastSeen, resolvedAt } = stored;
          return (
            <article className="finding">
              <h1>
                <SeverityBadge severity={f.severity} /> {f.ruleId}
                {f.title !== undefined && <span className="muted"> · {f.title}</span>}
              </h1>
              <p className="message">{f.message}</p>
              <dl className="facts">
                <dt>Resource</dt>
                <dd className="mono">
                  {refText(f.resource)}
                  {f.resource.apiVersion !== undefined && (
                    <span className="muted"> ({f.resource.apiVersion})</span>
                  )}
                </dd>
                {f.workload !== undefined && (
                  <>
                    <dt>Workload</dt>
                    <dd className="mono">{refText(f.workload)}</dd>
                  </>
                )}
                <dt>Team</dt>
                <dd>{f.team ?? "–"}</dd>
                <dt>Cluster</dt>
                <dd>{cluster}</dd>
                {f.location !== undefined && (
                  <>
                    <dt>Location</dt>
                    <dd className="mono">
                      {f.location.file}:{f.location.line}:{f.location.column}
                    </dd>
                  </>
                )}
                {f.fieldPath !== undefined && (
                  <>
                    <dt>Field</dt>
                    <dd className="mono">{f.fieldPath}</dd>
                  </>
                )}
                <dt>Seen</dt>
                <dd>
                  first {when(firstSeen)}, last {when(lastSeen)}
                  {resolvedAt !== undefined && <strong> · resolved {when(resolvedAt)}</strong>}
                </dd>
              </dl>
              <h2>Evidence</h2>
              {f.evidence !== undefined ? (
                <pre className="evidence" data-testid="evidence">
                  {f.evidence}
                </pre>
              ) : (
                <p className="muted">
                  This rule records no value (the finding is the object's shape itself).
                </p>
              )}
              {f.remediation !== undefined && (
                <>
                  <h2>How to fix</h2>
                  <p>{f.remediation}</p>
                </>
              )}
              {f.suppressed !== undefined && (
                <>
                  <h2>Suppressed</h2>
                  <p>
                    By {f.suppressed.source} <code>{f.suppressed.exceptionId}</code>: {f.suppressed.reason}
                    {f.suppressed.expires !== undefined && ` (expires ${f.suppressed.expires})`}
                  </p>
                </>
              )}
              {f.compliance !== undefined && f.compliance.length > 0 && (
                <>
                  <h2>Compliance</h2>
                  <ul>
                    {f.compliance.map((c) => (
                      <li key={`${c.framework}:${c.id}`}>
                        {c.framework.toUpperCase()} {c.id}
                        {c.title !== undefined && ` · ${c.title}`}
                      </li>
                    ))}
                  </ul>
                </>
              )}
              {canWriteExceptions(principal) && f.suppressed === undefined && resolvedAt === undefined && (
                <ExceptionForm key={`${cluster}/${f.id}`} stored={stored} />
              )}
            </article>
          );
        }}
      </Loaded>
    </section>
  );
}
