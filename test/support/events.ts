import type { LogEvent } from '../../src/parse/event';

export const BASE = Date.UTC(2026, 0, 10, 12, 0, 0);

export function ev(sec: number, over: Partial<LogEvent> = {}): LogEvent {
  return {
    time: BASE + Math.round(sec * 1000), ip: '198.51.100.1', method: 'POST', path: '/login', query: '', protocol: 'HTTP/1.1', request: 'POST /login HTTP/1.1',
    status: 401, bytes: 0, referer: '', userAgent: 'curl/8', remoteUser: '', host: '', requestTime: null, forwardedFor: '', raw: 'raw line', file: 't.log', line: Math.round(sec),
    ...over,
  };
}
