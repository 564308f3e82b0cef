import { isRunIdShape, type ParsedClientFrame } from './frames.js';
import { parseChatRequest, parseJson } from './request.js';
import type { ParseResult, RequestLimits } from './request-types.js';

const TAG = /^[\x20-\x7e]{1,200}$/;

/** Parses one text frame from a WS client. Errors name the problem; the socket stays usable. */
export function parseClientFrame(text: string, limits: RequestLimits = {}): ParseResult<ParsedClientFrame> {
  const json = parseJson(text);
  if (!json.ok) return { ok: false, error: { code: 'invalid_json', message: 'the frame is not valid JSON' } };
  const frame = json.value;
  if (typeof frame !== 'object' || frame === null || Array.isArray(frame))
    return invalid('the frame must be a JSON object');
  const record = frame as Record<string, unknown>;
  switch (record.type) {
    case 'chat': {
      const { type: _type, request_id, idempotency_key, ...body } = record;
      if (request_id !== undefined && !(typeof request_id === 'string' && TAG.test(request_id))) {
        return invalid('request_id: must be a printable string of at most 200 characters');
      }
      if (idempotency_key !== undefined && !(typeof idempotency_key === 'string' && TAG.test(idempotency_key))) {
        return invalid('idempotency_key: must be a printable string of at most 200 characters');
      }
      const request = parseChatRequest(body, limits);
      if (!request.ok) return request;
      const parsed: ParsedClientFrame = { type: 'chat', request: request.value };
      if (typeof request_id === 'string') parsed.request_id = request_id;
      if (typeof idempotency_key === 'string') parsed.idempotency_key = idempotency_key;
      return { ok: true, value: parsed };
    }
    case 'cancel':
      if (!isRunIdShape(record.id)) return invalid('id: must be a run id');
      return { ok: true, value: { type: 'cancel', id: record.id } };
    case 'resume': {
      if (!isRunIdShape(record.id)) return invalid('id: must be a run id');
      const after = record.after ?? -1;
      if (typeof after !== 'number' || !Number.isInteger(after) || after < -1) {
        return invalid('after: must be an integer >= -1');
      }
      return { ok: true, value: { type: 'resume', id: record.id, after } };
    }
    case 'ping':
      return { ok: true, value: { type: 'ping' } };
    default:
      return invalid('type: must be one of chat, cancel, resume, ping');
  }
}

function invalid(message: string): ParseResult<never> {
  return { ok: false, error: { code: 'invalid_request', message } };
}
