// `slimstad health [service]`: asks grpc.health.v1 whether the server (or one of its services)
// is serving. Exits 1 when it is not, so scripts can wait on it.
import { checkHealth } from '@slimstad/kit/grpc/index';
import type { Cli } from '../program.js';
import type { CliCommand } from './index.js';

export const health: CliCommand = {
  register(program, cli: Cli) {
    program
      .command('health')
      .description('check whether the server (or one service) is serving (grpc.health.v1)')
      .argument(
        '[service]',
        'fully-qualified service name, e.g. slimstad.sensor.v1.DeviceRegistryService; the whole server when omitted',
      )
      .action(async (service: string | undefined, _options, command) => {
        const { api, timeoutMs } = cli.globals(command);
        const status = await checkHealth(api, service ?? '', { timeoutMs });
        cli.print(command, {
          json: { api, service: service ?? '', status },
          rows: [{ service: service || '(server)', status }],
          columns: [
            { header: 'service', value: (row) => row.service },
            { header: 'status', value: (row) => row.status },
          ],
        });
        if (status !== 'SERVING') cli.setExitCode(1);
      });
  },
};
