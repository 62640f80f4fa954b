/**
 * Filters that live in the query string, shared by the list pages: a change navigates (so the filtered view is a
 * URL to share) and resets the page cursor, because a cursor of one filter means nothing under another.
 */
import { type FormEvent, useState } from "react";
import { SEVERITIES } from "../api";
import { setParams } from "../router";
import { ClusterFilter } from "./cluster-filter";
import { SeverityBadge } from "./state";

/** The severities chosen in `?severity=a,b` (empty: all). */
export function severitiesOf(params: URLSearchParams): string[] {
  return (params.get("severity") ?? "").split(",").filter((s) => s !== "");
}

/** One checkbox per severity, kept in `?severity=` in severity order. */
export function SeverityFilter({ chosen }: { chosen: readonly string[] }) {
  const toggle = (s: string) => {
    const next = chosen.includes(s) ? chosen.filter((x) => x !== s) : [...chosen, s];
    setParams({
      severity: SEVERITIES.filter((x) => next.includes(x)).join(",") || undefined,
      after: undefined,
    });
  };
  return (
    <fieldset className="sevs">
      <legend className="visually-hidden">Severity</legend>
      {SEVERITIES.map((s) => (
        <label key={s}>
          <input type="checkbox" name={`sev-${s}`} checked={chosen.includes(s)} onChange={() => toggle(s)} />
          <SeverityBadge severity={s} />
        </label>
      ))}
    </fieldset>
  );
}

/** A text filter kept in `?{name}=`, applied on Enter or when it loses focus. */
export function TextFilter({ name, label, value }: { name: string; label: string; value: string }) {
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

/** Cluster, namespace and team: the scope every read route of the API filters by. */
export function ScopeFilters({ params }: { params: URLSearchParams }) {
  return (
    <>
      <ClusterFilter params={params} />
      <TextFilter name="namespace" label="Namespace" value={params.get("namespace") ?? ""} />
      <TextFilter name="team" label="Team" value={params.get("team") ?? ""} />
    </>
  );
}

/** The scope filters of `?cluster=&namespace=&team=`, as the API takes them. */
export function scopeOf(params: URLSearchParams): { cluster?: string; namespace?: string; team?: string } {
  const out: { cluster?: string; namespace?: string; team?: string } = {};
  for (const k of ["cluster", "namespace", "team"] as const) {
    const v = params.get(k);
    if (v !== null && v !== "") out[k] = v;
  }
  return out;
}

/** "Next page" to the server's cursor, and back to the first page once paged. */
export function Pager({ paged, next }: { paged: boolean; next: string | undefined }) {
  return (
    <div className="pager">
      {paged && (
        <button type="button" onClick={() => setParams({ after: undefined })}>
          First page
        </button>
      )}
      {next !== undefined && (
        <button type="button" onClick={() => setParams({ after: next })}>
          Next page
        </button>
      )}
    </div>
  );
}

/** Counts by severity as badges (`2 critical 1 high`), most severe first; "none" when empty. */
export function SeverityCounts({ counts }: { counts: Partial<Record<string, number>> | undefined }) {
  const shown = SEVERITIES.filter((s) => (counts?.[s] ?? 0) > 0);
  if (shown.length === 0) return <span className="muted">none</span>;
  return (
    <span className="counts">
      {shown.map((s) => (
        <span key={s} className="count" data-severity={s}>
          {counts?.[s]} <SeverityBadge severity={s} />
        </span>
      ))}
    </span>
  );
}
