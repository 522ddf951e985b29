// Losant's published REST client (npm `losant-rest`, MIT) ships no types: the
// contract tests use it as a plain JavaScript client.
declare module 'losant-rest' {
  type Action = (params?: Record<string, unknown>) => Promise<any>;
  export interface LosantClient {
    setOption(name: string, value: unknown): void;
    getOption(name: string): unknown;
    [resource: string]: any;
  }
  export function createClient(options: { url?: string; accessToken?: string; timeout?: number }): LosantClient;
  const losant: { createClient: typeof createClient };
  export default losant;
  export type { Action };
}
