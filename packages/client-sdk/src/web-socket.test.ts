import { describe, expect, it } from 'vitest';
import { webSocketUrlFor } from './web-socket.js';

describe('webSocketUrlFor', () => {
  it('switches the scheme and appends /ws/chat to any path prefix', () => {
    expect(webSocketUrlFor('http://localhost:8000')).toBe('ws://localhost:8000/ws/chat');
    expect(webSocketUrlFor('https://example.com/chat/?x=1')).toBe('wss://example.com/chat/ws/chat');
  });
});
