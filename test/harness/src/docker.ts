// Decides, within a second and without hanging, whether a Docker engine answers here.
import { existsSync } from 'node:fs';
import { request } from 'node:http';

/** Where a Docker engine would listen: DOCKER_HOST (unix:// or tcp://) or the default socket. */
function dockerEndpoint(
  env: NodeJS.ProcessEnv,
): { socketPath: string } | { host: string; port: number } | undefined {
  const host = env.DOCKER_HOST;
  if (host?.startsWith('unix://')) return { socketPath: host.slice('unix://'.length) };
  if (host?.startsWith('tcp://')) {
    const url = new URL(host.replace('tcp://', 'http://'));
    return { host: url.hostname, port: Number(url.port || 2375) };
  }
  if (existsSync('/var/run/docker.sock')) return { socketPath: '/var/run/docker.sock' };
  return undefined;
}

/** True when `GET /_ping` on the Docker engine answers OK within `timeoutMs`. */
export function dockerAnswers(
  timeoutMs = 800,
  env: NodeJS.ProcessEnv = process.env,
): Promise<boolean> {
  const endpoint = dockerEndpoint(env);
  if (!endpoint) return Promise.resolve(false);
  return new Promise((resolve) => {
    const req = request(
      { ...endpoint, path: '/_ping', method: 'GET', timeout: timeoutMs },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.on('error', () => resolve(false));
    req.end();
  });
}
