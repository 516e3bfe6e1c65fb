/** The labels: what was injected into a case, by whom, where and when. Kept apart from the product. */

export const ATTACK_KINDS = [
  'brute-force-fast', 'brute-force-slow', 'subnet-brute-force', 'credential-stuffing', 'sensitive-file-probe', 'wide-scanner', 'error-log-brute-force',
] as const;
export const MISCONFIGURATION_KINDS = ['broken-deploy', 'stale-credential', 'password-file', 'password-file-error-only'] as const;
export const BENIGN_KINDS = ['basic-auth-challenges', 'token-refresh-wave', 'mistyping-users'] as const;

export type AttackKind = (typeof ATTACK_KINDS)[number];
export type MisconfigurationKind = (typeof MISCONFIGURATION_KINDS)[number];
export type BenignKind = (typeof BENIGN_KINDS)[number];
export type InjectedKind = AttackKind | MisconfigurationKind | BenignKind;
export type CaseKind = InjectedKind | 'clean';

/** What the product should say: the kind of incident, or nothing at all. */
export type Expected = 'attack' | 'misconfiguration' | 'quiet';

export function expectedOf(kind: InjectedKind): Expected {
  if ((ATTACK_KINDS as readonly string[]).includes(kind)) return 'attack';
  if ((MISCONFIGURATION_KINDS as readonly string[]).includes(kind)) return 'misconfiguration';
  return 'quiet';
}

/** Who did it, as the logs show them. Paths are prefixes: a reported path under one of them is the actor's. */
export interface Actor {
  ips: string[];
  /** CIDRs the actor rotates through (/24, /64). */
  subnets: string[];
  paths: string[];
  /** User agents. */
  clients: string[];
  users: string[];
}

export interface TruthItem {
  kind: InjectedKind;
  expected: Expected;
  /** Variant within the kind (surface, server, speed…), for the per-variant breakdown. */
  variant: string;
  start: number;
  end: number;
  actor: Actor;
  /** One line a developer reads to know what was injected. */
  detail: string;
}

export function emptyActor(): Actor {
  return { ips: [], subnets: [], paths: [], clients: [], users: [] };
}
