/**
 * A small client-side router over the History API: the path picks the page, the query string holds its filters,
 * so every view is a URL that can be shared or reloaded (the server answers every non-API path with the app).
 */
import { type AnchorHTMLAttributes, type MouseEvent, useEffect, useState } from "react";

const listeners = new Set<() => void>();

function notify(): void {
  for (const l of listeners) l();
}

/** Go to `to` (path and query) without a reload; `replace` keeps the back button's history as it was. */
export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  notify();
  if (!replace) window.scrollTo(0, 0);
}

export interface Location {
  path: string;
  params: URLSearchParams;
}

/** The current path and query, re-rendering on navigation and on the back and forward buttons. */
export function useLocation(): Location {
  const [, setTick] = useState(0);
  useEffect(() => {
    const update = () => setTick((n) => n + 1);
    listeners.add(update);
    window.addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      window.removeEventListener("popstate", update);
    };
  }, []);
  return { path: location.pathname, params: new URLSearchParams(location.search) };
}

/** Replace some query parameters (undefined or "" removes one) and navigate there. */
export function setParams(changes: Record<string, string | undefined>, replace = false): void {
  const params = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined || v === "") params.delete(k);
    else params.set(k, v);
  }
  const q = params.toString();
  navigate(`${location.pathname}${q === "" ? "" : `?${q}`}`, replace);
}

/** An `<a>` that navigates in the app (a modified click still opens a new tab). */
export function Link(props: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const { onClick, href, ...rest } = props;
  const click = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  return <a href={href} {...rest} onClick={click} />;
}

/** Match `pattern` (`/findings/:id`) against `path`; the decoded parameters, or undefined. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const norm = (x: string) => x.replace(/\/+$/, "").split("/");
  const p = norm(pattern);
  const s = norm(path);
  if (p.length !== s.length) return undefined;
  const out: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    const a = p[i] as string;
    const b = s[i] as string;
    if (a.startsWith(":")) {
      if (b === "") return undefined;
      out[a.slice(1)] = decodeURIComponent(b);
    } else if (a !== b) return undefined;
  }
  return out;
}
