/**
 * Findings with filters in the query string (`/findings?severity=critical,high&team=payments&open=true`), so a
 * filtered view is a link to share. Filters the API takes are passed to it; the text filter applies to the page
 * shown.
 */
import { type FormEvent, useState } from "react";
import { apiGet, query, SEVERITIES, type StoredFinding } from "../api";
import { Empty, Loaded, SeverityBadge } from "../components/state";
import { refText, when } from "../format";
import { Link, setParams, useLocation } from "../router";
import { useApi } from "../session";

const PAGE = 100;

export function FindingsPage() {
  const { params } = useLocation();
  const severity = (params.get("severity") ?? "").split(",").filter((s) => s !== "");
  const api = {
    severity: severity.join(",") || undefined,
    team: params.get("team") ?? undefined,
    namespace: params.get("namespace") ?? undefined,
    cluster: params.get("cluster") ?? undefined,
    open: params.get("open") === "false" ? undefined : true,
    after: params.get("after") ?? undefined,
    limit: PAGE,
  };
  const text = (params.get("q") ?? "").toLowerCase();
  const url = `/api/v1/findings${query(api)}`;
  const load = useApi(url, () => apiGet<{ items: StoredFinding[]; next?: string }>(url));

  const toggle = (s: string) => {
    const next = severity.includes(s) ? severity.filter((x) => x !== s) : [...severity, s];
    setParams({
      severity: SEVERITIES.filter((x) => next.includes(x)).join(",") || undefined,
      after: undefined,
    });
  };

  return (
    <section>
      <h1>Findings</h1>
      <section className="filters" aria-label="Filters">
        <fieldset className="sevs">
          <legend className="visually-hidden">Severity</legend>
          {SEVERITIES.map((s) => (
            <label key={s}>
              <input
                type="checkbox"
                name={`sev-${s}`}
                checked={severity.includes(s)}
                onChange={() => toggle(s)}
              />
              <SeverityBadge severity={s} />
            </label>
          ))}
        </fieldset>
        <TextFilter name="team" label="Team" value={params.get("team") ?? ""} />
        <TextFilter name="namespace" label="Namespace" value={params.get("namespace") ?? ""} />
        <TextFilter name="cluster" label="Cluster" value={params.get("cluster") ?? ""} />
        <TextFilter name="q" label="Rule or text" value={params.get("q") ?? ""} />
        <label>
          <input
            type="checkbox"
            name="include-resolved"
            checked={params.get("open") === "false"}
            onChange={(e) => setParams({ open: e.target.checked ? "false" : undefined, after: undefined })}
          />{" "}
          include resolved
        </label>
      </section>
      <Loaded load={load} what="findings">
        {(page) => {
          const items = page.items.filter(
            (f) =>
              text === "" ||
              f.finding.ruleId.toLowerCase().includes(text) ||
              f.finding.message.toLowerCase().includes(text),
          );
          return (
            <>
              {items.length === 0 ? (
                <Empty>
                  No finding matches these filters{page.next !== undefined ? " on this page" : ""}.
                </Empty>
              ) : (
                <table className="findings" aria-label="Findings">
                  <thead>
                    <tr>
                      <th>Severity</th>
                      <th>Rule</th>
                      <th>Resource</th>
                      <th>Team</th>
                      <th>Cluster</th>
                      <th>First seen</th>
                      <th>Status</th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((f) => (
                      <tr key={`${f.cluster}/${f.finding.id}`} data-severity={f.finding.severity}>
                        <td>
                          <SeverityBadge severity={f.finding.severity} />
                        </td>
                        <td>
                          <Link
                            href={`/findings/${encodeURIComponent(f.finding.id)}?${new URLSearchParams({ cluster: f.cluster })}`}
                          >
                            {f.finding.ruleId}
                          </Link>
                          <div className="muted small">{f.finding.message}</div>
                        </td>
                        <td className="mono">{refText(f.finding.resource)}</td>
                        <td>{f.finding.team ?? ""}</td>
                        <td>{f.cluster}</td>
                        <td>{when(f.firstSeen)}</td>
                        <td>
                          {f.resolvedAt !== undefined
                            ? `resolved ${when(f.resolvedAt)}`
                            : f.finding.suppressed !== undefined
                              ? "suppressed"
                              : "open"}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              <div className="pager">
                {api.after !== undefined && (
                  <button type="button" onClick={() => setParams({ after: undefined })}>
                    First page
                  </button>
                )}
                {page.next !== undefined && (
                  <button type="button" onClick={() => setParams({ after: page.next })}>
                    Next page
                  </button>
                )}
              </div>
            </>
          );
        }}
      </Loaded>
    </section>
  );
}

/** A text filter applied on Enter or when it loses focus. */
function TextFilter({ name, label, value }: { name: string; label: string; value: string }) {
  const [v, setV] = useState(value);
  const [seen, setSeen] = useState(value);
  if (value !== seen) {
    setSeen(value);
    setV(value);
  }
  const apply = (e?: FormEvent) => {
    e?.preventDefault();
    if (v.trim() !== value) setParams({ [name]: v.trim() || undefined, after: undefined });
  };
  return (
    <form className="textfilter" onSubmit={apply}>
      <label>
        {label}{" "}
        <input
          name={name}
          value={v}
          onChange={(e) => setV(e.target.value)}
          onBlur={() => apply()}
          size={14}
        />
      </label>
    </form>
  );
}
