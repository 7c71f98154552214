// The data IPAM keeps in the datastore, in the shape of Calico's IPAM
// (libcalico-go `model.AllocationBlock`, `BlockAffinity`, `IPAMHandle`):
//
//   <root>config                 IpamConfig: pools, reservations, strictAffinity…
//   <root>blocks/<block>         Block: one allocation bitmap per block CIDR
//   <root>affinity/<host>/<block> Affinity: pending → confirmed
//   <root>handles/<handle>       Handle: how many addresses a handle holds per block
//
// `<block>` is the block CIDR with '.', ':' and '/' turned into '-'
// (192.0.2.64/26 → 192-0-2-64-26), as Calico names its block resources.

/** What addresses of a pool may be used for (Calico `allowedUses`). */
export type AllowedUse = "Workload" | "Tunnel" | "LoadBalancer";

/** Whether a pool serves automatic assignment or only explicit requests (Calico `assignmentMode`). */
export type AssignmentMode = "Automatic" | "Manual";

/** An IP pool as IPAM uses it (the IPAM-relevant fields of Calico's IPPool spec). */
export interface Pool {
  /** Pool name (metadata.name of the IPPool). */
  readonly name: string;
  /** The pool's CIDR. */
  readonly cidr: string;
  /** Block prefix length (default 26 for IPv4, 122 for IPv6). */
  readonly blockSize: number;
  /** Disabled pools give no new addresses. */
  readonly disabled: boolean;
  /** Calico selector over node labels (default "all()"). */
  readonly nodeSelector: string;
  /** Uses (default Workload and Tunnel). */
  readonly allowedUses: readonly AllowedUse[];
  /** Automatic (default) or Manual. */
  readonly assignmentMode: AssignmentMode;
}

/** A pool as a caller writes it: only name and cidr are required. */
export type PoolInput = Pick<Pool, "name" | "cidr"> & Partial<Omit<Pool, "name" | "cidr">>;

/** Cluster-wide IPAM settings, stored as one key so that pool changes are atomic. */
export interface IpamConfig {
  readonly pools: readonly Pool[];
  /** CIDRs excluded from assignment (the union of every IPReservation's reservedCIDRs). */
  readonly reservations: readonly string[];
  /** Never borrow from another host's block (Calico IPAMConfiguration strictAffinity). */
  readonly strictAffinity: boolean;
  /**
   * At most this many blocks of one family affine to one host, over the pools
   * in play (maxBlocksPerHost); 0 means Calico's safeguard of
   * {@link DEFAULT_MAX_BLOCKS_PER_HOST}. Calico requires strictAffinity with it.
   */
  readonly maxBlocksPerHost: number;
  /** Claim new blocks when the affine ones are full (Calico autoAllocateBlocks, default true). */
  readonly autoAllocateBlocks: boolean;
}

/** The block limit Calico applies when maxBlocksPerHost is 0 (`autoAssign`: "default to a reasonable limit"). */
export const DEFAULT_MAX_BLOCKS_PER_HOST = 20;

/**
 * Addresses at the start and end of each new block kept from workloads
 * (Calico `HostReservedAttr`; Windows nodes reserve the first three and the
 * last address of a block: {@link windowsReserved}).
 */
export interface HostReservedAttr {
  readonly startOfBlock: number;
  readonly endOfBlock: number;
  /** Handle the reserved addresses are held under. */
  readonly handle: string;
  /** Note stored with them. */
  readonly note: string;
}

/** The handle Windows' reserved addresses are held under (Calico `WindowsReservedHandle`). */
export const WINDOWS_RESERVED_HANDLE = "windows-reserved-ipam-handle";

/** Calico's Windows reservation: x.0, x.1, x.2 and the last address of each block. */
export const windowsReserved: HostReservedAttr = {
  startOfBlock: 3,
  endOfBlock: 1,
  handle: WINDOWS_RESERVED_HANDLE,
  note: "windows host reserved",
};

/** Per-address attributes: the handle and free-form data (pod namespace/name, node). */
export interface AllocationAttribute {
  readonly handleId: string | null;
  readonly secondary: Readonly<Record<string, string>>;
}

/**
 * One block's allocation state (Calico `AllocationBlock`). `allocations[i]`
 * is the index into `attributes` of the address at ordinal i, or null when
 * free; `unallocated` lists the free ordinals in the order they are handed out.
 * `sequenceNumber` counts assignments; `sequenceNumberForAllocation[i]` is the
 * number the address at ordinal i got, so a release can tell an old
 * allocation from a new one at the same address (ABA).
 */
export interface Block {
  readonly cidr: string;
  /** "host:<name>" when affine to a host, null when not. */
  readonly affinity: string | null;
  readonly allocations: readonly (number | null)[];
  readonly unallocated: readonly number[];
  readonly attributes: readonly AllocationAttribute[];
  readonly sequenceNumber: number;
  readonly sequenceNumberForAllocation: Readonly<Record<string, number>>;
  /** When the affinity was claimed (ms since the epoch; Calico `affinityClaimTime`); absent on old blocks. */
  readonly affinityClaimTime?: number | null;
}

/** A host's claim on a block (two-phase: pending, then confirmed with the block). */
export interface Affinity {
  readonly host: string;
  readonly cidr: string;
  readonly state: "pending" | "confirmed";
}

/** A handle: the addresses of one workload, counted per block. */
export interface Handle {
  readonly handleId: string;
  readonly block: Readonly<Record<string, number>>;
}

/** The datastore keys IPAM uses under a root. */
export class IpamKeys {
  constructor(readonly root = "/tortie/ipam/v1/") {}
  get config(): string {
    return `${this.root}config`;
  }
  get blocksPrefix(): string {
    return `${this.root}blocks/`;
  }
  block(cidr: string): string {
    return `${this.blocksPrefix}${blockName(cidr)}`;
  }
  get affinityPrefix(): string {
    return `${this.root}affinity/`;
  }
  hostAffinityPrefix(host: string): string {
    return `${this.affinityPrefix}${host}/`;
  }
  affinity(host: string, cidr: string): string {
    return `${this.hostAffinityPrefix(host)}${blockName(cidr)}`;
  }
  get handlesPrefix(): string {
    return `${this.root}handles/`;
  }
  handle(id: string): string {
    return `${this.handlesPrefix}${encodeURIComponent(id)}`;
  }
}

/** A block's name: its CIDR with '.', ':' and '/' as '-' (Calico's block naming). */
export function blockName(cidr: string): string {
  return cidr.replace(/[.:/]/g, "-");
}

/** The default configuration (Calico's `GetIPAMConfig` default): no pools, no reservations, borrowing allowed, new blocks claimed, the default block limit. */
export const EMPTY_CONFIG: IpamConfig = {
  pools: [],
  reservations: [],
  strictAffinity: false,
  maxBlocksPerHost: 0,
  autoAllocateBlocks: true,
};
