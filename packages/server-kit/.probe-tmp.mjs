// ../../tmp/groqprobe/probe.ts
import Groq from "groq-sdk";

// packages/server-kit/test/fake-groq/start-fake-groq.ts
import { createServer } from "node:http";

// packages/server-kit/test/fake-groq/fixtures.ts
var FAKE_GROQ_API_KEY = "gsk_fake_0123456789abcdefghijklmnopqrstuvwxyz";
var DEFAULT_TOKENS = ["Bon", "jour", "!"];
var DEFAULT_MODELS = [
  model("openai/gpt-oss-20b", "OpenAI", 1754407957, 65536),
  model("openai/gpt-oss-120b", "OpenAI", 1754408224, 65536),
  model("groq/compound", "Groq", 1756949530, 8192),
  { ...model("groq/compound-mini", "Groq", 1756949707, 8192), active: false },
  model("whisper-large-v3", "OpenAI", 1693721698, 448)
];
var DECOMMISSIONED_MODELS = [
  "llama-3.1-8b-instant",
  "llama-3.3-70b-versatile",
  "mixtral-8x7b-32768"
];
function model(id, ownedBy, created, maxCompletionTokens) {
  return {
    id,
    object: "model",
    created,
    owned_by: ownedBy,
    active: true,
    context_window: 131072,
    public_apps: null,
    max_completion_tokens: maxCompletionTokens
  };
}
function errorBody(message, type, code) {
  return { error: { message, type, code } };
}
var INVALID_API_KEY_BODY = errorBody("Invalid API Key", "invalid_request_error", "invalid_api_key");
function decommissionedBody(modelId) {
  return errorBody(
    `The model \`${modelId}\` has been decommissioned and is no longer supported.`,
    "invalid_request_error",
    "model_decommissioned"
  );
}
function modelNotFoundBody(modelId) {
  return errorBody(
    `The model \`${modelId}\` does not exist or you do not have access to it.`,
    "invalid_request_error",
    "model_not_found"
  );
}
function rateLimitBody(modelId, retryText) {
  return errorBody(
    `Rate limit reached for model \`${modelId}\` in organization \`org_01example\` service tier \`on_demand\` on tokens per minute (TPM): Limit 8000, Used 7950, Requested 120. Please try again in ${retryText}.`,
    "tokens",
    "rate_limit_exceeded"
  );
}
function usage(promptTokens, completionTokens) {
  return {
    queue_time: 0.051,
    prompt_tokens: promptTokens,
    prompt_time: 2e-3,
    completion_tokens: completionTokens,
    completion_time: 3e-3,
    total_tokens: promptTokens + completionTokens,
    total_time: 5e-3
  };
}
function chunk(ids, delta, finishReason) {
  return {
    id: ids.completionId,
    object: "chat.completion.chunk",
    created: 1764072e3,
    model: ids.modelId,
    system_fingerprint: "fp_4c6b7b3d21",
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }]
  };
}
function roleChunk(ids) {
  return { ...chunk(ids, { role: "assistant", content: "" }, null), x_groq: { id: ids.requestId, seed: 1234567890 } };
}
function contentChunk(ids, text) {
  return chunk(ids, { content: text }, null);
}
function finishChunk(ids, finishReason, usageObject) {
  return { ...chunk(ids, {}, finishReason), x_groq: { id: ids.requestId, usage: usageObject }, usage: usageObject };
}
function xGroqErrorChunk(ids, message) {
  return { ...chunk(ids, {}, null), x_groq: { id: ids.requestId, error: message } };
}
function completionBody(ids, text, usageObject) {
  return {
    id: ids.completionId,
    object: "chat.completion",
    created: 1764072e3,
    model: ids.modelId,
    choices: [{ index: 0, message: { role: "assistant", content: text }, logprobs: null, finish_reason: "stop" }],
    usage: usageObject,
    system_fingerprint: "fp_4c6b7b3d21",
    x_groq: { id: ids.requestId }
  };
}

// packages/server-kit/test/fake-groq/replies.ts
import { setTimeout as sleep } from "node:timers/promises";
var RATE_LIMIT_HEADERS = {
  "x-ratelimit-limit-requests": "1000",
  "x-ratelimit-limit-tokens": "8000",
  "x-ratelimit-remaining-requests": "999",
  "x-ratelimit-remaining-tokens": "50"
};
async function writeReply(reply, context) {
  const { response, ids } = context;
  switch (reply.kind) {
    case "stream":
      return writeAnswer(reply, context);
    case "rate-limit": {
      const retryAfter = reply.retryAfter ?? "1";
      return writeJson(response, 429, rateLimitBody(ids.modelId, `${retryAfter}s`), {
        ...RATE_LIMIT_HEADERS,
        "retry-after": retryAfter,
        "x-ratelimit-reset-requests": reply.resetRequests ?? "2m59.56s",
        "x-ratelimit-reset-tokens": reply.resetTokens ?? "7.66s"
      });
    }
    case "unauthorized":
      return writeJson(response, 401, INVALID_API_KEY_BODY);
    case "decommissioned":
      return writeJson(response, reply.status ?? 404, decommissionedBody(ids.modelId));
    case "server-error": {
      const status = reply.status ?? 503;
      const body2 = errorBody("Service Unavailable", "internal_server_error", "service_unavailable");
      return writeJson(response, status, body2, reply.retryAfter === void 0 ? {} : { "retry-after": reply.retryAfter });
    }
    case "status":
      return writeJson(response, reply.status, reply.body, reply.headers ?? {});
    case "stream-error-event":
    case "x-groq-error":
    case "stall":
    case "cut":
    case "end-early": {
      if (!await writeTokens(reply.tokens ?? context.defaultTokens, context.defaultDelayMs, context)) return;
      if (reply.kind === "stall") return;
      if (reply.kind === "cut") {
        context.onCut();
        response.socket?.destroy();
        return;
      }
      if (reply.kind === "stream-error-event") {
        writeEvent(response, errorBody("Internal Server Error: the model stopped responding", "internal_server_error", null));
      }
      if (reply.kind === "x-groq-error") writeEvent(response, xGroqErrorChunk(ids, "upstream model error"));
      response.end("data: [DONE]\n\n");
      return;
    }
  }
}
async function writeAnswer(reply, context) {
  const tokens = reply.tokens ?? context.defaultTokens;
  const reported = reply.usage === void 0 ? { prompt_tokens: context.promptTokens, completion_tokens: tokens.length } : reply.usage;
  const usageObject = reported === false ? void 0 : usage(reported.prompt_tokens, reported.completion_tokens);
  if (!context.streamed) {
    return writeJson(context.response, 200, completionBody(context.ids, tokens.join(""), usageObject ?? usage(0, 0)));
  }
  if (!await writeTokens(tokens, reply.delayMs ?? context.defaultDelayMs, context)) return;
  const finish = finishChunk(context.ids, reply.finishReason ?? "stop", usageObject ?? {});
  if (usageObject === void 0) {
    delete finish.usage;
    finish.x_groq = { id: context.ids.requestId };
  }
  writeEvent(context.response, finish);
  context.response.end("data: [DONE]\n\n");
}
async function writeTokens(tokens, delayMs, context) {
  const { response, ids } = context;
  response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", ...RATE_LIMIT_HEADERS });
  response.flushHeaders();
  writeEvent(response, roleChunk(ids));
  for (const text of tokens) {
    if (delayMs > 0) await sleep(delayMs);
    if (response.destroyed) return false;
    writeEvent(response, contentChunk(ids, text));
  }
  return !response.destroyed;
}
function writeEvent(response, data) {
  if (!response.destroyed) response.write(`data: ${JSON.stringify(data)}

`);
}
function writeJson(response, status, body2, headers = {}) {
  response.writeHead(status, { "content-type": "application/json", ...headers });
  response.end(JSON.stringify(body2));
}

// packages/server-kit/test/fake-groq/start-fake-groq.ts
async function startFakeGroq(options = {}) {
  const apiKey = options.apiKey ?? FAKE_GROQ_API_KEY;
  const models = options.models ?? DEFAULT_MODELS;
  const queue = [];
  const requests = [];
  let modelListCalls = 0;
  let sequence = 0;
  const server = createServer((incoming, response) => {
    void handle(incoming, response).catch(() => response.destroy());
  });
  async function handle(incoming, response) {
    const text = await readBody(incoming);
    const authorized = incoming.headers.authorization === `Bearer ${apiKey}`;
    const path = (incoming.url ?? "/").split("?")[0];
    if (incoming.method === "GET" && path === "/openai/v1/models") {
      if (!authorized) return writeJson(response, 401, INVALID_API_KEY_BODY);
      modelListCalls += 1;
      return writeJson(response, 200, { object: "list", data: models });
    }
    if (incoming.method !== "POST" || path !== "/openai/v1/chat/completions") {
      return writeJson(response, 404, errorBody("Unknown request URL", "invalid_request_error", "unknown_url"));
    }
    const body2 = parseObject(text);
    const record = track(incoming.headers, body2, response);
    if (!authorized) return writeJson(response, 401, INVALID_API_KEY_BODY);
    if (body2 === void 0) return writeJson(response, 400, errorBody("invalid JSON body", "invalid_request_error", null));
    const modelId = typeof body2.model === "string" ? body2.model : "";
    const messages = Array.isArray(body2.messages) ? body2.messages : [];
    sequence += 1;
    const context = {
      response,
      ids: {
        completionId: `chatcmpl-fake-${sequence}`,
        requestId: `req_fake_${sequence.toString().padStart(22, "0")}`,
        modelId
      },
      streamed: body2.stream === true,
      promptTokens: messages.reduce((sum, message) => sum + 4 + Math.ceil(String(message.content ?? "").length / 4), 0),
      defaultTokens: options.tokens ?? DEFAULT_TOKENS,
      defaultDelayMs: options.delayMs ?? 0,
      onCut: () => settle(record, "cut")
    };
    const scripted = queue.shift();
    if (scripted) return writeReply(scripted, context);
    if (DECOMMISSIONED_MODELS.includes(modelId)) return writeJson(response, 404, decommissionedBody(modelId));
    if (!models.some((entry) => entry.id === modelId)) return writeJson(response, 404, modelNotFoundBody(modelId));
    return writeReply({ kind: "stream" }, context);
  }
  const settlers = /* @__PURE__ */ new Map();
  function track(headers, body2, response) {
    let resolve = () => {
    };
    const closed = new Promise((settle2) => resolve = settle2);
    const record = {
      headers,
      body: body2,
      receivedAt: Date.now(),
      get status() {
        return response.headersSent ? response.statusCode : 0;
      },
      outcome: "pending",
      closedAt: void 0,
      closed
    };
    settlers.set(record, resolve);
    requests.push(record);
    response.on("close", () => {
      settle(record, response.writableFinished ? "completed" : "aborted");
    });
    return record;
  }
  function settle(record, outcome) {
    if (record.outcome !== "pending") return;
    record.outcome = outcome;
    if (outcome !== "completed") record.closedAt = Date.now();
    settlers.get(record)?.(outcome);
  }
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get modelListCalls() {
      return modelListCalls;
    },
    get aborted() {
      return requests.filter((record) => record.outcome === "aborted").length;
    },
    script(...replies) {
      queue.push(...replies);
    },
    async close() {
      for (const record of requests) settle(record, record.outcome === "pending" ? "cut" : record.outcome);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(() => resolve()));
    }
  };
}
async function readBody(incoming) {
  const parts = [];
  for await (const part of incoming) parts.push(part);
  return Buffer.concat(parts).toString("utf8");
}
function parseObject(text) {
  try {
    const value = JSON.parse(text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? value : void 0;
  } catch {
    return void 0;
  }
}

// ../../tmp/groqprobe/probe.ts
var fake = await startFakeGroq({ delayMs: 50, tokens: ["a", "b", "c", "d", "e", "f"] });
var client = new Groq({ apiKey: FAKE_GROQ_API_KEY, baseURL: fake.url, maxRetries: 0 });
async function run(label, fn) {
  try {
    console.log(label, "OK", await fn());
  } catch (e) {
    console.log(label, "THROW", e?.constructor?.name, e?.name, JSON.stringify(e?.message), e?.status, e?.cause?.constructor?.name, e?.cause?.message, e?.cause?.code, JSON.stringify(e?.error));
  }
}
async function collect(stream) {
  const out = [];
  for await (const c of stream) out.push(c.choices[0]?.delta?.content ?? `<${c.choices[0]?.finish_reason}|${c.x_groq?.error}>`);
  return out.join(",");
}
var body = { model: "openai/gpt-oss-20b", messages: [{ role: "user", content: "hi" }], stream: true };
await run("normal", async () => collect(await client.chat.completions.create(body)));
fake.script({ kind: "cut" });
await run("cut", async () => collect(await client.chat.completions.create(body)));
fake.script({ kind: "stream-error-event" });
await run("errevent", async () => collect(await client.chat.completions.create(body)));
fake.script({ kind: "x-groq-error" });
await run("xgroq", async () => collect(await client.chat.completions.create(body)));
fake.script({ kind: "rate-limit", retryAfter: "3" });
await run("429", async () => collect(await client.chat.completions.create(body)));
await run("401", async () => collect(await new Groq({ apiKey: "wrong", baseURL: fake.url, maxRetries: 0 }).chat.completions.create(body)));
await run("decom", async () => collect(await client.chat.completions.create({ ...body, model: "llama-3.1-8b-instant" })));
{
  const c = new AbortController();
  setTimeout(() => c.abort(), 120);
  await run("abort", async () => collect(await client.chat.completions.create(body, { signal: c.signal })));
  console.log(await fake.requests.at(-1).closed);
}
{
  const c = new AbortController();
  c.abort();
  await run("preabort", async () => collect(await client.chat.completions.create(body, { signal: c.signal })));
}
fake.script({ kind: "stall" });
await run("stall-timeout", async () => collect(await new Groq({ apiKey: FAKE_GROQ_API_KEY, baseURL: fake.url, maxRetries: 0, timeout: 300 }).chat.completions.create(body)));
fake.script({ kind: "status", status: 200, body: "x", headers: { "x": "y" } });
await run("refused", async () => collect(await new Groq({ apiKey: FAKE_GROQ_API_KEY, baseURL: "http://127.0.0.1:1", maxRetries: 0 }).chat.completions.create(body)));
await run("models", async () => JSON.stringify((await client.models.list()).data.map((m) => [m.id, m.active])));
await run("nonstream", async () => JSON.stringify(await client.chat.completions.create({ ...body, stream: false })));
await fake.close();
