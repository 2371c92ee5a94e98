import type { HealthRegistry } from "../../services/health/registry.ts";
import type { ServiceState, ServiceStatus } from "../../services/health/types.ts";

/**
 * Resolves with the state once `name` has an outcome with `status` (already, or on a
 * later change); rejects after `ms` so a broken registry fails the test instead of hanging it.
 */
export function waitForStatus(
  registry: HealthRegistry,
  name: string,
  status: ServiceStatus,
  ms = 10_000,
): Promise<ServiceState> {
  return new Promise((resolve, reject) => {
    const now = registry.state(name);
    if (now?.status === status && now.lastCheck) return resolve(now);
    const timer = setTimeout(() => {
      off();
      reject(new Error(`${name} did not become ${status} within ${ms} ms (is ${registry.state(name)?.status})`));
    }, ms);
    const off = registry.onChange((s) => {
      if (s.name === name && s.status === status) {
        clearTimeout(timer);
        off();
        resolve(s);
      }
    });
  });
}
