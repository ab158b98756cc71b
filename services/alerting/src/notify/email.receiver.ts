// E-mail receiver over SMTP (nodemailer): one message per notification to all configured
// addresses, with a plain-text and an HTML part rendered from the group. SMTP's reply codes
// decide retries (RFC 5321 §4.2.1): 4yz is transient (retryable), 5yz permanent; connection
// failures and timeouts are retryable. Addresses are personal data: they are not logged.
import { createHash } from 'node:crypto';
import nodemailer from 'nodemailer';
import type SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';
import { type Notification, renderHtml, renderSubject, renderText } from './content.js';
import {
  type DeliveryLogger,
  type DeliveryResult,
  type Receiver,
  silentLogger,
} from './delivery.js';

export interface EmailConfig {
  name: string;
  /** `"Slimstad alerts" <alerts@city.example>` */
  from: string;
  to: string[];
  smtp: {
    host: string;
    port: number;
    /** TLS from the first byte (port 465). */
    secure?: boolean;
    /** Refuse to send unless STARTTLS succeeds; default true unless `secure`. */
    requireTLS?: boolean;
    /** Only for a plain local relay (tests): do not attempt STARTTLS. */
    ignoreTLS?: boolean;
    auth?: { user: string; pass: string };
    /** Connect, greeting and socket timeouts, ms; default 10 s. */
    timeoutMs?: number;
  };
  /** Prepended to the subject, e.g. `[Slimstad Breda]`. */
  subjectPrefix?: string;
  logger?: DeliveryLogger;
}

/** An SMTP error (nodemailer attaches `responseCode` and `code`) as a delivery result. */
export function classifySmtpError(error: unknown): DeliveryResult {
  const e = error as { responseCode?: number; code?: string; message?: string };
  const reason = `${e.code ?? 'SMTP'}${e.responseCode ? ` ${e.responseCode}` : ''}: ${(e.message ?? String(error)).slice(0, 200)}`;
  if (typeof e.responseCode === 'number') {
    return e.responseCode >= 500
      ? { outcome: 'permanent', reason }
      : { outcome: 'retryable', reason };
  }
  // Configuration problems (e.g. a missing credential) will not fix themselves.
  if (e.code === 'EAUTH' || e.code === 'EENVELOPE' || e.code === 'EMESSAGE')
    return { outcome: 'permanent', reason };
  return { outcome: 'retryable', reason };
}

/** The `X-Slimstad-Group` header value: the first 32 hex digits of SHA-256 of the group key. */
export const groupId = (groupKey: string): string =>
  createHash('sha256').update(groupKey).digest('hex').slice(0, 32);

export function createEmailReceiver(config: EmailConfig): Receiver {
  if (!Array.isArray(config.to) || config.to.length === 0)
    throw new Error(`email ${config.name}: to needs at least one address`);
  if (!config.from) throw new Error(`email ${config.name}: from is required`);
  if (!config.smtp?.host || !Number.isInteger(config.smtp.port))
    throw new Error(`email ${config.name}: smtp.host and smtp.port are required`);
  const timeout = config.smtp.timeoutMs ?? 10_000;
  const options: SMTPTransport.Options = {
    host: config.smtp.host,
    port: config.smtp.port,
    secure: config.smtp.secure ?? false,
    requireTLS: config.smtp.requireTLS ?? (!config.smtp.secure && !config.smtp.ignoreTLS),
    ignoreTLS: config.smtp.ignoreTLS ?? false,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    ...(config.smtp.auth ? { auth: config.smtp.auth } : {}),
  };
  const transport = nodemailer.createTransport(options);
  const log = config.logger ?? silentLogger;
  return {
    name: config.name,
    kind: 'email',
    async send(notification: Notification): Promise<DeliveryResult> {
      const subject = `${config.subjectPrefix ? `${config.subjectPrefix} ` : ''}${renderSubject(notification)}`;
      const entry = {
        receiver: config.name,
        kind: 'email',
        groupKey: notification.groupKey,
        recipients: config.to.length,
      };
      try {
        const info = await transport.sendMail({
          from: config.from,
          to: config.to,
          subject,
          text: renderText(notification),
          html: renderHtml(notification),
          // The group key holds quotes and braces (MIME-encoded in a header); its hash is plain
          // and lets mail filters and threads tie the messages of one group together.
          headers: { 'X-Slimstad-Group': groupId(notification.groupKey) },
        });
        if (info.rejected.length > 0) {
          const reason = `${info.rejected.length} of ${config.to.length} recipients rejected`;
          log.warn({ ...entry, outcome: 'permanent', reason }, 'notification partly delivered');
          return { outcome: 'permanent', reason };
        }
        log.info({ ...entry, outcome: 'delivered' }, 'notification delivered');
        return { outcome: 'delivered', detail: info.response };
      } catch (error) {
        const result = classifySmtpError(error);
        log.warn(
          { ...entry, outcome: result.outcome, reason: (result as { reason: string }).reason },
          'notification not delivered',
        );
        return result;
      }
    },
    close() {
      transport.close();
    },
  };
}
