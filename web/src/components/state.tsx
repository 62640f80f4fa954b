/**
 * Loading, empty and error states, and the hook that fetches one API document for a page. Every page shows one of
 * the three before its data: never a blank area that could be mistaken for "nothing to fix".
 */
import { type ReactNode, useEffect, useState } from "react";
import { ApiError } from "../api";

export type Load<T> =
  | { status: "loading" }
  | { status: "error"; error: ApiError }
  | { status: "ok"; data: T };

function asApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError(0, "CLIENT", (e as Error)?.message ?? String(e));
}

/** Run `fetcher` whenever `key` changes; a 401 signs the user out (the token expired or was revoked). */
export function useLoad<T>(key: string, fetcher: () => Promise<T>, onUnauthorized?: () => void): Load<T> {
  const [state, setState] = useState<Load<T>>({ status: "loading" });
  // biome-ignore lint/correctness/useExhaustiveDependencies: the key names everything the fetcher reads
  useEffect(() => {
    let live = true;
    setState({ status: "loading" });
    fetcher().then(
      (data) => live && setState({ status: "ok", data }),
      (e: unknown) => {
        if (!live) return;
        const err = asApiError(e);
        if (err.status === 401) onUnauthorized?.();
        setState({ status: "error", error: err });
      },
    );
    return () => {
      live = false;
    };
  }, [key]);
  return state;
}

export function Loading({ what }: { what: string }) {
  return (
    <div className="state loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return (
    <div className="state empty" data-testid="empty">
      {children}
    </div>
  );
}

/** What went wrong, in words: a route the server does not have yet is said so, not shown as an empty page. */
export function ErrorBox({ error, what }: { error: ApiError; what: string }) {
  let text: string;
  if (error.status === 404 && error.code === "NOT_FOUND" && /^no route /.test(error.message))
    text = `This server does not provide ${what} (${error.message}): it may be an older version of Palisade.`;
  else if (error.status === 404) text = `Not found: ${error.message}`;
  else if (error.status === 403) text = `Your token may not read ${what}: ${error.message}`;
  else if (error.status === 0) text = `The server could not be reached: ${error.message}`;
  else text = `Could not load ${what}: ${error.message} (HTTP ${error.status}, ${error.code})`;
  return (
    <div className="state error" role="alert">
      {text}
    </div>
  );
}

/** The three states of a load, then `children(data)`. */
export function Loaded<T>({
  load,
  what,
  children,
}: {
  load: Load<T>;
  what: string;
  children: (data: T) => ReactNode;
}) {
  if (load.status === "loading") return <Loading what={what} />;
  if (load.status === "error") return <ErrorBox error={load.error} what={what} />;
  return <>{children(load.data)}</>;
}

/** Said above a list when the server had more pages than were read. */
export function Partial({ n }: { n: number }) {
  return (
    <div className="state warning" role="status">
      Only the first {n.toLocaleString("en")} items were read: what is shown is partial.
    </div>
  );
}

export function SeverityBadge({ severity }: { severity: string }) {
  return <span className={`sev sev-${severity}`}>{severity}</span>;
}
