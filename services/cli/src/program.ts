// The `slimstad` program: global options, the command registry, and one place that turns
// every failure into a clear line on stderr and an exit code. Output goes through injectable
// writers so tests run the real program in-process.
import type * as grpc from '@grpc/grpc-js';
import { createClient } from '@slimstad/kit/grpc/index';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { type CliCommand, commands as registry } from './commands/index.js';
import { CliError, describeError, EXIT_FAILURE, EXIT_USAGE } from './errors.js';
import { OUTPUT_FORMATS, type OutputFormat, type Result, render, type Writer } from './output.js';

export const DEFAULT_API = '127.0.0.1:50051';
export const DEFAULT_TIMEOUT_MS = 5_000;

export interface Io {
  stdout: Writer;
  stderr: Writer;
  /** The environment the defaults come from (SLIMSTAD_API, SLIMSTAD_TOKEN, AUTH_JWT_KEY, …). */
  env: Record<string, string | undefined>;
}

/**
 * Where a service's API is when `--api` is not given, for services that do not listen on
 * $SLIMSTAD_API (ingest's address): their own variable, then their local port.
 */
export interface ServiceAddress {
  /** The environment variable holding the address, e.g. SLIMSTAD_LIGHTING_API. */
  env: string;
  /** The address when the variable is unset, e.g. 127.0.0.1:50053. */
  fallback: string;
}

export interface GlobalOptions {
  api: string;
  token: string | undefined;
  output: OutputFormat;
  timeoutMs: number;
}

/** What a command gets to do its work; see commands/index.ts to add one. */
export interface Cli {
  io: Io;
  /**
   * The global options as they apply to the running command (flags, then environment);
   * `service` says where the API is when --api is not given (default: $SLIMSTAD_API).
   */
  globals(command: Command, service?: ServiceAddress): GlobalOptions;
  /** Writes a result in the chosen output format. */
  print<Row>(command: Command, result: Result<Row>): void;
  /**
   * A client for a Slimstad API with the token, trace context and --timeout; closed after the
   * command. `service` as for globals().
   */
  client<C extends grpc.Client>(
    command: Command,
    Ctor: new (
      address: string,
      credentials: grpc.ChannelCredentials,
      options?: Partial<grpc.ClientOptions>,
    ) => C,
    service?: ServiceAddress,
  ): C;
  /** Sets the exit code of a command that completed but must report failure (e.g. NOT_SERVING). */
  setExitCode(code: number): void;
}

function parseTimeout(value: string): number {
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms <= 0)
    throw new InvalidArgumentError('must be a positive number of milliseconds.');
  return ms;
}

function parseOutput(value: string): OutputFormat {
  if (!(OUTPUT_FORMATS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`must be ${OUTPUT_FORMATS.join(' or ')}.`);
  }
  return value as OutputFormat;
}

interface RunState {
  exitCode: number;
  clients: grpc.Client[];
  /** The address the command called and the variable that sets it, for error messages. */
  target?: { api: string; env: string };
}

function createCli(io: Io, state: RunState): Cli {
  const globals = (command: Command, service?: ServiceAddress): GlobalOptions => {
    const options = command.optsWithGlobals<{
      api?: string;
      token?: string;
      output?: OutputFormat;
      timeout?: number;
    }>();
    return {
      api:
        options.api ??
        (service ? io.env[service.env] || service.fallback : (io.env.SLIMSTAD_API ?? DEFAULT_API)),
      // Never a commander default: defaults are shown in --help, and a token must not be.
      token: options.token ?? (io.env.SLIMSTAD_TOKEN || undefined),
      output: options.output ?? 'table',
      timeoutMs: options.timeout ?? DEFAULT_TIMEOUT_MS,
    };
  };
  return {
    io,
    globals,
    print(command, result) {
      io.stdout.write(render(globals(command).output, result));
    },
    client(command, Ctor, service) {
      const { api, token, timeoutMs } = globals(command, service);
      state.target = { api, env: service?.env ?? 'SLIMSTAD_API' };
      const client = createClient(Ctor, api, { token, deadlineMs: timeoutMs });
      state.clients.push(client);
      return client;
    },
    setExitCode(code) {
      state.exitCode = code;
    },
  };
}

/** Builds the command tree; `io` receives all output (process streams unless told). */
export function buildProgram(
  io: Io = processIo(),
  commands: readonly CliCommand[] = registry,
): Command {
  return assemble(io, { exitCode: 0, clients: [] }, commands);
}

function assemble(io: Io, state: RunState, commands: readonly CliCommand[]): Command {
  const program = new Command('slimstad')
    .description(
      "Operate a Slimstad city from the command line: health, services, tokens, and each service's API.",
    )
    .addOption(
      new Option(
        '--api <host:port>',
        `gRPC address of the service to talk to (default: $SLIMSTAD_API or ${DEFAULT_API})`,
      ),
    )
    .addOption(new Option('--token <jwt>', 'bearer token for the call (default: $SLIMSTAD_TOKEN)'))
    .addOption(
      new Option('-o, --output <json|table>', 'output format: table or json')
        .argParser(parseOutput)
        .default('table'),
    )
    .addOption(
      new Option('--timeout <ms>', 'deadline of each call in milliseconds')
        .argParser(parseTimeout)
        .default(DEFAULT_TIMEOUT_MS),
    )
    .showHelpAfterError('(run slimstad --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
      outputError: (text, write) => write(text.replace(/^error: /, 'slimstad: ')),
    });

  const cli = createCli(io, state);
  for (const command of commands) command.register(program, cli);
  return program;
}

/**
 * Runs the CLI with the user's arguments (without `node` and the script) and resolves with
 * the exit code; it never calls process.exit, so it runs in-process in tests. `commands`
 * replaces the registry (tests).
 *
 * @example
 * process.exitCode = await run(process.argv.slice(2));
 */
export async function run(
  argv: readonly string[],
  io: Partial<Io> = {},
  options: { commands?: readonly CliCommand[] } = {},
): Promise<number> {
  const fullIo: Io = { ...processIo(), ...io };
  const state: RunState = { exitCode: 0, clients: [] };
  const program = assemble(fullIo, state, options.commands ?? registry);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return state.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version exit with 0; commander has already printed any usage error.
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    const options = program.opts<{ api?: string; timeout?: number }>();
    const context = {
      api: options.api ?? fullIo.env.SLIMSTAD_API ?? DEFAULT_API,
      env: 'SLIMSTAD_API',
      ...state.target,
      timeoutMs: options.timeout ?? DEFAULT_TIMEOUT_MS,
    };
    fullIo.stderr.write(`${describeError(error, context)}\n`);
    return error instanceof CliError ? error.exitCode : EXIT_FAILURE;
  } finally {
    for (const client of state.clients) client.close();
  }
}

function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, env: process.env };
}
