/**
 * The dashboard's shell: sign-in gate, navigation and the page for the current URL. Pages that draw graphs load
 * cytoscape on demand, so the first page paints without it.
 */
import { lazy, type ReactNode, Suspense, useCallback, useState } from "react";
import { apiGet, clearToken, getToken } from "./api";
import { Loading, useLoad } from "./components/state";
import { AlertsPage } from "./pages/alerts";
import { AuditPage } from "./pages/audit";
import { ExceptionsPage } from "./pages/exceptions";
import { FindingPage } from "./pages/finding";
import { FindingsPage } from "./pages/findings";
import { ImagesPage } from "./pages/images";
import { LoginPage } from "./pages/login";
import { OverviewPage } from "./pages/overview";
import { RemediationsPage } from "./pages/remediations";
import { RiskPage } from "./pages/risk";
import { VulnerabilitiesPage } from "./pages/vulnerabilities";
import { VulnerabilityPage } from "./pages/vulnerability";
import { WorkloadsPage } from "./pages/workloads";
import { Link, match, navigate, useLocation } from "./router";
import { canReadAudit, type Principal, SessionContext } from "./session";

const RbacPage = lazy(() => import("./pages/rbac").then((m) => ({ default: m.RbacPage })));
const NetpolPage = lazy(() => import("./pages/netpol").then((m) => ({ default: m.NetpolPage })));

/** The main navigation; `show` hides what the role may not open (the API refuses it anyway). */
const NAV: { href: string; label: string; show?: (p: Principal | undefined) => boolean }[] = [
  { href: "/", label: "Overview" },
  { href: "/risk", label: "Risk" },
  { href: "/findings", label: "Findings" },
  { href: "/workloads", label: "Workloads" },
  { href: "/images", label: "Images" },
  { href: "/vulnerabilities", label: "Vulnerabilities" },
  { href: "/remediations", label: "Remediation" },
  { href: "/rbac", label: "RBAC paths" },
  { href: "/netpol", label: "Network" },
  { href: "/alerts", label: "Runtime alerts" },
  { href: "/exceptions", label: "Exceptions" },
  { href: "/audit", label: "Audit", show: canReadAudit },
];

type Route = [pattern: string, render: (p: Record<string, string>) => ReactNode];

const ROUTES: Route[] = [
  ["/", () => <OverviewPage />],
  ["/risk", () => <RiskPage />],
  ["/findings", () => <FindingsPage />],
  ["/findings/:id", (p) => <FindingPage id={p.id ?? ""} />],
  ["/workloads", () => <WorkloadsPage />],
  ["/images", () => <ImagesPage />],
  ["/vulnerabilities", () => <VulnerabilitiesPage />],
  ["/vulnerabilities/:id", (p) => <VulnerabilityPage id={p.id ?? ""} />],
  ["/remediations", () => <RemediationsPage />],
  ["/rbac", () => <RbacPage />],
  ["/netpol", () => <NetpolPage />],
  ["/alerts", () => <AlertsPage />],
  ["/exceptions", () => <ExceptionsPage />],
  ["/audit", () => <AuditPage />],
];

function section(path: string): string {
  const first = `/${path.split("/")[1] ?? ""}`;
  return first;
}

export function App() {
  const loc = useLocation();
  const [token, setTokenState] = useState(getToken());
  const who = useLoad(token ?? "", () =>
    token === undefined ? Promise.resolve(undefined) : apiGet<Principal>("/api/v1/whoami", token),
  );
  const principal = who.status === "ok" ? who.data : undefined;
  const signOut = useCallback((expired = false) => {
    clearToken();
    setTokenState(undefined);
    const here = `${location.pathname}${location.search}`;
    navigate(`/login?${new URLSearchParams({ ...(expired ? { expired: "1" } : {}), next: here })}`, true);
  }, []);

  if (token === undefined || loc.path === "/login") {
    return (
      <LoginPage
        onSignedIn={(t) => {
          setTokenState(t);
          // Signed in on the page asked for (a shared link): stay; from /login: go where `next` says.
          if (loc.path !== "/login") return navigate(`${loc.path}${location.search}`, true);
          const next = loc.params.get("next");
          navigate(
            next?.startsWith("/") && !next.startsWith("//") && !next.startsWith("/login") ? next : "/",
            true,
          );
        }}
      />
    );
  }

  let page: ReactNode = (
    <div className="state error" role="alert">
      No page at {loc.path}. <Link href="/">Go to the overview</Link>.
    </div>
  );
  for (const [pattern, render] of ROUTES) {
    const p = match(pattern, loc.path);
    if (p !== undefined) {
      page = render(p);
      break;
    }
  }
  const current = section(loc.path);
  return (
    <SessionContext.Provider value={{ token, principal, signOut }}>
      <header className="top">
        <Link href="/" className="brand">
          Palisade
        </Link>
        <nav aria-label="Main">
          {NAV.filter((n) => n.show === undefined || n.show(principal)).map((n) => (
            <Link key={n.href} href={n.href} aria-current={current === n.href ? "page" : undefined}>
              {n.label}
            </Link>
          ))}
        </nav>
        {principal !== undefined && (
          <span className="whoami" data-testid="whoami">
            {principal.role}
            {principal.team !== undefined && ` · ${principal.team}`}
          </span>
        )}
        <button type="button" className="signout" onClick={() => signOut()}>
          Sign out
        </button>
      </header>
      <main>
        <Suspense fallback={<Loading what="the page" />}>{page}</Suspense>
      </main>
    </SessionContext.Provider>
  );
}
