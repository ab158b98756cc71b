// Namespacing of subjects and streams. Production runs with an empty namespace; each test
// file gets its own, so files share one NATS server without their streams overlapping.
import type { StreamContract } from '@slimstad/contracts';

export class Namespace {
  constructor(readonly prefix: string) {}

  subject(subject: string): string {
    return this.prefix ? `${this.prefix}.${subject}` : subject;
  }

  /** The subject without the namespace, as contracts know it. */
  strip(subject: string): string {
    return this.prefix && subject.startsWith(`${this.prefix}.`)
      ? subject.slice(this.prefix.length + 1)
      : subject;
  }

  stream(stream: StreamContract | string): string {
    const name = typeof stream === 'string' ? stream : stream.name;
    return this.prefix ? `${this.prefix}_${name}` : name;
  }
}
