/** The part of autocannon's API the admission bench uses (the package ships no types). */
declare module "autocannon" {
  interface Histogram {
    p50: number;
    p99: number;
    max: number;
  }
  interface Result {
    requests: { total: number };
    latency: Histogram;
    errors: number;
    timeouts: number;
    non2xx: number;
  }
  interface Options {
    url: string;
    method?: string;
    headers?: Record<string, string>;
    requests?: { method?: string; body?: string }[];
    connections?: number;
    overallRate?: number;
    duration?: number;
    timeout?: number;
  }
  function autocannon(opts: Options): Promise<Result>;
  export default autocannon;
}
