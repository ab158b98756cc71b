// `slimstad services`: lists the gRPC services a server exposes, through server reflection.
import { listServices } from '@slimstad/kit/grpc/index';
import type { Cli } from '../program.js';
import type { CliCommand } from './index.js';

export const services: CliCommand = {
  register(program, cli: Cli) {
    program
      .command('services')
      .description('list the gRPC services the server exposes (server reflection)')
      .action(async (_options, command) => {
        const { api, timeoutMs } = cli.globals(command);
        const names = await listServices(api, { timeoutMs });
        cli.print(command, {
          json: { api, services: names },
          rows: names.map((name) => ({ name })),
          columns: [{ header: 'service', value: (row) => row.name }],
          empty: `${api} exposes no services through reflection`,
        });
      });
  },
};
