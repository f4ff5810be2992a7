/**
 * Where samples come from. The ResourceMonitor only knows this interface, so the machine
 * (system-source.ts), a recorded trace (trace-source.ts) or a test script can feed it alike.
 */
import type { ResourceSample, StaticHardwareInfo } from '../types';

/** Power state, read at a low rate. */
export interface PowerReading {
  onBattery: boolean;
  /** 0–100, when a battery is present. */
  batteryPercent?: number;
}

/** A provider of hardware facts and samples. */
export interface ResourceSource {
  /** Static hardware; read once at start (may be slow: tens of milliseconds). */
  readHardware(): Promise<StaticHardwareInfo>;
  /** One cheap sample stamped `t` (clock ms). Must stay well under a millisecond of CPU. */
  readSample(t: number): Promise<ResourceSample>;
  /** Power source and battery; read at a low rate. Null when unknown. */
  readPower?(): Promise<PowerReading | null>;
}

/** A source driven by functions: for tests and scripted scenarios. */
export function createScriptedSource(script: {
  hardware: StaticHardwareInfo;
  sample: (t: number) => Omit<ResourceSample, 't'>;
  power?: () => PowerReading | null;
}): ResourceSource {
  const source: ResourceSource = {
    readHardware: async () => script.hardware,
    readSample: async (t) => ({ ...script.sample(t), t }),
  };
  if (script.power) {
    const power = script.power;
    source.readPower = async () => power();
  }
  return source;
}
