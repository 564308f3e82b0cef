import { isChatError } from '@chatwire/client-sdk';

/**
 * One line a person can act on, for anything a chat can throw. No stack trace (set CHATWIRE_DEBUG=1 for one); the
 * SDK's messages never hold the API key.
 */
export function describeError(error: unknown): string {
  if (!isChatError(error)) return `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
  switch (error.code) {
    case 'network':
      return `${error.message}. Is the server running? Set the address with --url.`;
    case 'not_found':
    case 'bad_response':
      return `${error.message}. Check --url.`;
    case 'unauthorized':
    case 'forbidden':
      return `${error.message} (${error.code}). Check CHATWIRE_API_KEY.`;
    case 'cancelled':
      return 'cancelled';
    default: {
      const retry = error.retryable
        ? ` Try again${error.retryAfterMs === undefined ? '' : ` in ${Math.ceil(error.retryAfterMs / 1000)} s`}.`
        : '';
      return `${error.code}: ${error.message.replace(/[.\s]*$/, '.')}${retry}`;
    }
  }
}
