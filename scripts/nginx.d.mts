export declare const NGINX_CONF: string;
export declare function findNginx(): string | undefined;
export declare function nginxConfig(o: {
  relayPort: number;
  port: number;
  dir: string;
  workers?: number;
}): Promise<string>;
export interface NginxHandle {
  readonly port: number;
  readonly base: string;
  readonly pid: number;
  readonly dir: string;
  stop(): Promise<void>;
}
export declare function startNginx(o: {
  relayPort: number;
  workers?: number;
}): Promise<NginxHandle>;
