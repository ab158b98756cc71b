// @slimstad/cli: the `slimstad` command line. `bin/slimstad.mjs` runs `run()` from the build.
export type { CliCommand } from './commands/index.js';
export { CliError, describeError, EXIT_FAILURE, EXIT_USAGE } from './errors.js';
export {
  type OutputFormat,
  type Result,
  render,
  renderTable,
  toJson,
  type Writer,
} from './output.js';
export {
  buildProgram,
  type Cli,
  type GlobalOptions,
  type Io,
  run,
  type ServiceAddress,
} from './program.js';
