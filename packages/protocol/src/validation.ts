// The validating entry (`@chatwire/protocol/validation`): zod schemas, request and frame parsers, the OpenAPI
// document. Servers use it; browser clients need not.
export { chatRequestSchema, parseChatRequest, parseJson } from './request.js';
export { parseClientFrame } from './frame-parser.js';
export { createOpenApiDocument, type Json, type OpenApiOptions } from './openapi.js';
export * from './schemas.js';
