/**
 * The resource panel's store, apart from the chat's: a sample (1 Hz) touches only this store, so
 * none of the chat's selectors run. The chart history is a plain SampleWindow next to it, which the
 * charts read imperatively (see features/resources/chart-hub.ts), never through React state.
 */
import { create } from 'zustand';
import type { DecisionData, LadderRungData, ResourceSnapshot } from '../../shared/resource';
import { SampleWindow } from '../features/resources/series';

export interface Tier {
  id: string;
  label: string;
  description: string;
  reasons: string[];
}

export interface ResourceState {
  snapshot: ResourceSnapshot | null;
  /** Newest first (main sends newest last). */
  decisions: DecisionData[];
  ladder: LadderRungData[];
  tier: Tier | null;
  scalingPaused: boolean;
  /** Bumped on every sample; the charts' subscription compares it. */
  sampleSeq: number;
}

export const useResourceStore = create<ResourceState>()(() => ({
  snapshot: null,
  decisions: [],
  ladder: [],
  tier: null,
  scalingPaused: false,
  sampleSeq: 0,
}));

/** The last five minutes of samples, as chart columns. */
export const sampleWindow = new SampleWindow();

const set = useResourceStore.setState;
const get = useResourceStore.getState;
const DECISION_LIMIT = 200;

export function addSnapshot(snapshot: ResourceSnapshot): void {
  sampleWindow.push(snapshot.sample);
  // The scaler's own state is the truth about pausing once a sample says so.
  set({ snapshot, tier: snapshot.tier, sampleSeq: get().sampleSeq + 1, scalingPaused: snapshot.status.kind === 'paused' });
}

export function addDecision(decision: DecisionData): void {
  const decisions = get().decisions;
  if (decisions.some((d) => d.id === decision.id && d.t === decision.t)) return;
  set({ decisions: [decision, ...decisions].slice(0, DECISION_LIMIT) });
}

/** The ladder after a rebuild (the tier comes with it). */
export function setLadder(ladder: LadderRungData[], tier: Tier | null): void {
  set({ ladder, tier: tier ?? get().tier });
}

export function setScalingPaused(scalingPaused: boolean): void {
  set({ scalingPaused });
}

/** Takes main's whole resource state (at start and after a reconnect). */
export function resetResources(state: {
  resource: ResourceSnapshot | null;
  decisions: DecisionData[];
  ladder: LadderRungData[];
  tier: Tier | null;
  scalingPaused: boolean;
}): void {
  if (state.resource) sampleWindow.push(state.resource.sample);
  set({
    snapshot: state.resource ?? get().snapshot,
    decisions: [...state.decisions].reverse().slice(0, DECISION_LIMIT),
    ladder: state.ladder,
    tier: state.tier ?? state.resource?.tier ?? null,
    scalingPaused: state.scalingPaused,
    sampleSeq: get().sampleSeq + (state.resource ? 1 : 0),
  });
}
