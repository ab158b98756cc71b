import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { connectNats, inboxPrefixFor } from './connection.js';

const log = pino({ level: 'silent' });

describe('inboxPrefixFor', () => {
  it("keeps NATS's shared _INBOX without a user", () => {
    expect(inboxPrefixFor({})).toBeUndefined();
    expect(inboxPrefixFor({ user: '' })).toBeUndefined();
  });

  it("uses the user's own inbox, the only one city.conf lets it subscribe to", () => {
    expect(inboxPrefixFor({ user: 'lighting' })).toBe('_INBOX_lighting');
  });

  it('prefers an explicit prefix', () => {
    expect(inboxPrefixFor({ user: 'lighting', inboxPrefix: '_INBOX_lamp7' })).toBe('_INBOX_lamp7');
    expect(inboxPrefixFor({ inboxPrefix: '_INBOX_cli' })).toBe('_INBOX_cli');
  });
});

describe('connectNats', () => {
  it('names NATS_CREDS_FILE when the credentials file cannot be read', async () => {
    await expect(
      connectNats({
        url: 'nats://127.0.0.1:1',
        name: 'test',
        credsFile: '/nonexistent/slimstad.creds',
        log,
      }),
    ).rejects.toThrow(
      /^cannot read the NATS credentials file \/nonexistent\/slimstad\.creds \(NATS_CREDS_FILE\): ENOENT/,
    );
  });
});
