import os from 'node:os';
import type pg from 'pg';

/** The machine a result was measured on: figures from different machines are not comparable. */
export interface MachineInfo {
  readonly cores: number;
  readonly cpuModel: string;
  readonly memoryMb: number;
  readonly platform: string;
  readonly node: string;
  readonly postgres: string;
}

/** Reads cores, memory, Node's version and the benchmark database server's version. */
export async function machineInfo(pool: pg.Pool): Promise<MachineInfo> {
  const { rows } = await pool.query<{ server_version: string }>('SHOW server_version');
  const cpus = os.cpus();
  return {
    cores: os.availableParallelism?.() ?? cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryMb: Math.round(os.totalmem() / 1024 / 1024),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    postgres: rows[0]?.server_version ?? 'unknown',
  };
}
