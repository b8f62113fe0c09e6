/**
 * Fake metric providers for tests: real HTTP servers on 127.0.0.1 (a free port each) that answer
 * in the documented shapes of Prometheus (/api/v1/query), Datadog (v1 /api/v1/query, with its two
 * key headers) and a plain JSON endpoint. Each records the requests it got; answers are settable.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  /** Decoded query parameters. */
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
}

interface Answer {
  status: number;
  body: string;
  contentType?: string;
}

export interface FakeServer {
  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  url: string;
  requests: RecordedRequest[];
  /** Answer this many ms late (to exercise timeouts). */
  delayMs: number;
  stop(): Promise<void>;
}

type Handler = (request: RecordedRequest) => Answer;

async function startFake(handler: Handler): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const fake = { url: "", requests, delayMs: 0, stop: async () => {} };
  const server = createServer((req, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://fake");
    const recorded = { method: req.method ?? "GET", path: url.pathname, query: Object.fromEntries(url.searchParams), headers: req.headers };
    requests.push(recorded);
    const answer = handler(recorded);
    setTimeout(() => {
      res.writeHead(answer.status, { "content-type": answer.contentType ?? "application/json" });
      res.end(answer.body);
    }, fake.delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

const json = (status: number, body: unknown): Answer => ({ status, body: JSON.stringify(body) });
const notFound = () => json(404, { error: "not found" });

export interface FakePrometheus extends FakeServer {
  /** One vector sample per value (values as Prometheus writes them: strings, "NaN", "+Inf"). */
  setVector(values: string[]): void;
  setScalar(value: string): void;
  /** An error answer: HTTP 400 bad_data, 422 execution, 503 timeout… */
  setError(status: number, errorType: string, error: string): void;
  setRaw(status: number, body: string, contentType?: string): void;
}

/** A Prometheus server's instant-query endpoint (prometheus.io/docs/prometheus/latest/querying/api). */
export async function startFakePrometheus(): Promise<FakePrometheus> {
  let answer: Answer = json(200, { status: "success", data: { resultType: "vector", result: [] } });
  const now = () => Date.now() / 1000;
  const fake = await startFake((req) => {
    if (req.path !== "/api/v1/query") return notFound();
    if (!req.query.query) return json(400, { status: "error", errorType: "bad_data", error: 'invalid parameter "query": unknown position' });
    return answer;
  });
  return Object.assign(fake, {
    setVector(values: string[]) {
      const result = values.map((value, i) => ({ metric: { __name__: "fake", instance: `host-${i}` }, value: [now(), value] }));
      answer = json(200, { status: "success", data: { resultType: "vector", result } });
    },
    setScalar(value: string) {
      answer = json(200, { status: "success", data: { resultType: "scalar", result: [now(), value] } });
    },
    setError(status: number, errorType: string, error: string) {
      answer = json(status, { status: "error", errorType, error });
    },
    setRaw(status: number, body: string, contentType?: string) {
      answer = contentType === undefined ? { status, body } : { status, body, contentType };
    },
  });
}

export interface FakeDatadog extends FakeServer {
  /** One series per point list; each point is `[epoch ms, value or null]`. */
  setSeries(pointlists: Array<Array<[number, number | null]>>): void;
  setQueryError(error: string): void;
}

/** Datadog's v1 timeseries query (docs.datadoghq.com/api/latest/metrics/query-timeseries-points), keys checked. */
export async function startFakeDatadog(keys: { apiKey: string; appKey: string }): Promise<FakeDatadog> {
  let series: Array<Array<[number, number | null]>> = [];
  let queryError: string | undefined;
  const fake = await startFake((req) => {
    if (req.path !== "/api/v1/query") return notFound();
    if (req.headers["dd-api-key"] !== keys.apiKey || req.headers["dd-application-key"] !== keys.appKey) return json(403, { errors: ["Forbidden"] });
    const { from, to, query } = req.query;
    if (!from || !to || !query) return json(400, { errors: ["The parameters from, to and query are required"] });
    if (queryError) return json(200, { status: "error", error: queryError, query, series: [] });
    const body = series.map((pointlist, i) => ({
      metric: "fake.metric",
      display_name: "fake.metric",
      expression: query,
      scope: `host:host-${i}`,
      aggr: "avg",
      interval: 20,
      length: pointlist.length,
      start: pointlist[0]?.[0] ?? 0,
      end: pointlist.at(-1)?.[0] ?? 0,
      pointlist,
    }));
    return json(200, { status: "ok", res_type: "time_series", query, from_date: Number(from) * 1000, to_date: Number(to) * 1000, group_by: [], series: body });
  });
  return Object.assign(fake, {
    setSeries(pointlists: Array<Array<[number, number | null]>>) {
      series = pointlists;
      queryError = undefined;
    },
    setQueryError(error: string) {
      queryError = error;
    },
  });
}

export interface FakeWeb extends FakeServer {
  setJson(value: unknown, status?: number): void;
  setRaw(status: number, body: string, contentType?: string): void;
}

/** Any JSON endpoint: answers every path with the settable document. */
export async function startFakeWeb(): Promise<FakeWeb> {
  let answer: Answer = json(200, {});
  const fake = await startFake(() => answer);
  return Object.assign(fake, {
    setJson(value: unknown, status = 200) {
      answer = json(status, value);
    },
    setRaw(status: number, body: string, contentType?: string) {
      answer = contentType === undefined ? { status, body } : { status, body, contentType };
    },
  });
}
