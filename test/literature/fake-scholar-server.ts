/**
 * A local stand-in for the two hosted literature APIs, speaking their wire formats:
 * Semantic Scholar's `GET /graph/v1/paper/search` and OpenAlex's `GET /works`. It serves the
 * hand-written fixtures next to it, returns only the requested fields (`fields=` / `select=`),
 * reproduces their quirks (S2 omits `data` when nothing matched and matches no hyphenated
 * terms), records every request, and replays scripted failures (429 + Retry-After, 5xx, hangs).
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export type Api = 's2' | 'openalex';

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  /** JSON body; a string is sent as is (e.g. a broken body). */
  body?: unknown;
  /** Wait before answering (a hanging server). */
  delayMs?: number;
}

export interface RecordedRequest {
  api: Api;
  path: string;
  params: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Arrival time, ms since epoch. */
  at: number;
}

const S2_ALLOWED_FIELDS = new Set([
  'paperId',
  'corpusId',
  'externalIds',
  'url',
  'title',
  'abstract',
  'venue',
  'publicationVenue',
  'year',
  'referenceCount',
  'citationCount',
  'influentialCitationCount',
  'isOpenAccess',
  'openAccessPdf',
  'fieldsOfStudy',
  's2FieldsOfStudy',
  'publicationTypes',
  'publicationDate',
  'journal',
  'citationStyles',
  'authors',
]);

export const S2_TOO_MANY = {
  status: 429,
  body: {
    message: 'Too Many Requests. Please wait and try again or apply for a key for higher rate limits.',
    code: '429',
  },
} satisfies Reply;

function fixture(name: string): unknown {
  return JSON.parse(readFileSync(path.join(__dirname, 'fixtures', name), 'utf8'));
}

interface S2Fixture {
  total: number;
  offset: number;
  data: Record<string, unknown>[];
}
interface OpenAlexFixture {
  meta: Record<string, unknown>;
  results: Record<string, unknown>[];
  group_by: unknown[];
}

export class FakeScholarServer {
  readonly requests: RecordedRequest[] = [];
  /** When set, S2 answers 403 unless `x-api-key` carries this value. */
  apiKey?: string;
  private readonly scripts: Record<Api, Reply[]> = { s2: [], openalex: [] };
  private readonly always: Partial<Record<Api, Reply>> = {};
  private server?: Server;
  private base = '';
  /** Topic word → fixture; a query containing the word gets the fixture's papers. */
  private readonly s2Corpus = new Map<string, S2Fixture>([
    ['grokking', fixture('s2-search-grokking.json') as S2Fixture],
  ]);
  private readonly oaCorpus = new Map<string, OpenAlexFixture>([
    ['grokking', fixture('openalex-works-grokking.json') as OpenAlexFixture],
  ]);

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const api: Api | undefined = url.pathname.startsWith('/graph/v1/')
        ? 's2'
        : url.pathname === '/works'
          ? 'openalex'
          : undefined;
      if (!api) return send(res, { status: 404, body: { error: 'Not found' } });
      this.requests.push({
        api,
        path: url.pathname,
        params: url.searchParams,
        headers: req.headers,
        at: Date.now(),
      });
      const scripted = this.scripts[api].shift() ?? this.always[api];
      const reply = scripted ?? (api === 's2' ? this.s2(url, req.headers) : this.openAlex(url));
      if (reply.delayMs) {
        const timer = setTimeout(() => send(res, reply), reply.delayMs);
        res.on('close', () => clearTimeout(timer));
      } else {
        send(res, reply);
      }
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  get s2BaseUrl(): string {
    return `${this.base}/graph/v1`;
  }

  get openAlexBaseUrl(): string {
    return this.base;
  }

  /** Replies used, in order, for the next requests to `api`; afterwards normal service resumes. */
  script(api: Api, ...replies: Reply[]): void {
    this.scripts[api].push(...replies);
  }

  /** Every request to `api` gets `reply` until `reset()` (an outage). */
  fail(api: Api, reply: Reply): void {
    this.always[api] = reply;
  }

  count(api: Api): number {
    return this.requests.filter((r) => r.api === api).length;
  }

  reset(): void {
    this.requests.length = 0;
    this.scripts.s2.length = 0;
    this.scripts.openalex.length = 0;
    delete this.always.s2;
    delete this.always.openalex;
    this.apiKey = undefined;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  private s2(url: URL, headers: IncomingHttpHeaders): Reply {
    if (this.apiKey !== undefined && headers['x-api-key'] !== this.apiKey)
      return { status: 403, body: { message: 'Forbidden' } };
    if (url.pathname !== '/graph/v1/paper/search')
      return { status: 404, body: { error: 'Requested resource not found' } };
    const query = url.searchParams.get('query');
    if (!query) return { status: 400, body: { error: 'Unacceptable query params: [query=null]' } };
    const limit = Number(url.searchParams.get('limit') ?? '100');
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
      return {
        status: 400,
        body: { error: `Unacceptable query params: [limit=${url.searchParams.get('limit')}]` },
      };
    }
    // Without `fields`, the API returns paperId and title only.
    const fields = (url.searchParams.get('fields') ?? 'title').split(',').filter(Boolean);
    const unknown = fields.filter((f) => !S2_ALLOWED_FIELDS.has(f));
    if (unknown.length)
      return { status: 400, body: { error: `Unrecognized or unsupported fields: [${unknown.join(', ')}]` } };
    // The real search finds nothing for hyphenated terms.
    const hit = /\S-\S/.test(query)
      ? undefined
      : [...this.s2Corpus].find(([word]) => query.toLowerCase().includes(word))?.[1];
    if (!hit) return { status: 200, body: { total: 0, offset: 0 } };
    const data = hit.data.slice(0, limit).map((p) => pick(p, ['paperId', ...fields]));
    const body: Record<string, unknown> = { total: hit.total, offset: 0 };
    if (limit < hit.total) body.next = limit;
    body.data = data;
    return { status: 200, body };
  }

  private openAlex(url: URL): Reply {
    const search = url.searchParams.get('search') ?? '';
    const perPage = Number(url.searchParams.get('per-page') ?? '25');
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > 200) {
      return {
        status: 400,
        body: {
          error: 'Invalid query parameters error.',
          message: 'per-page parameter must be between 1 and 200',
        },
      };
    }
    const select = url.searchParams.get('select')?.split(',').filter(Boolean);
    const hit = [...this.oaCorpus].find(([word]) => search.toLowerCase().includes(word))?.[1];
    const results = (hit?.results ?? []).slice(0, perPage).map((w) => (select ? pick(w, select) : w));
    return {
      status: 200,
      body: {
        meta: {
          count: hit ? (hit.meta.count as number) : 0,
          db_response_time_ms: 41,
          page: 1,
          per_page: perPage,
          groups_count: null,
        },
        results,
        group_by: [],
      },
    };
  }
}

function pick(obj: Record<string, unknown>, names: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const n of names) if (n in obj) out[n] = obj[n];
  return out;
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.destroyed) return;
  const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? {});
  res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
  res.end(text);
}
