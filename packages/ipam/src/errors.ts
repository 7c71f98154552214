// IPAM's errors: small named classes, one per failure a caller acts on
// differently. Each Calico error (libcalico-go `lib/ipam/ipam_errors.go`, the
// `Err*` variables of `ipam.go`, and the `cerrors` types IPAM returns) has
// one class here, named in the comment above it, carrying what a caller
// needs to decide.

/** Base class of every IPAM error. */
export class IpamError extends Error {
  override readonly name: string = "IpamError";
}

/** A pool definition is invalid (bad CIDR, blockSize out of range or larger than the pool). */
export class InvalidPoolError extends IpamError {
  override readonly name = "InvalidPoolError";
  constructor(
    readonly pool: string,
    readonly field: string,
    reason: string,
  ) {
    super(`invalid IP pool ${pool}: ${field}: ${reason}`);
  }
}

/** Two pools overlap. */
export class PoolOverlapError extends IpamError {
  override readonly name = "PoolOverlapError";
  constructor(
    readonly cidr: string,
    readonly other: string,
  ) {
    super(`IP pool ${cidr} overlaps existing pool ${other}`);
  }
}

/** An address is malformed. */
export class InvalidAddressError extends IpamError {
  override readonly name = "InvalidAddressError";
  constructor(readonly address: string) {
    super(`not a valid IP address or CIDR: ${JSON.stringify(address)}`);
  }
}

/**
 * An address (or CIDR) lies outside every configured, enabled pool (Calico
 * `AssignIP`: "The provided IP address is not in a configured pool";
 * `ClaimAffinity`: "not within any configured pools").
 */
export class AddressNotInPoolError extends IpamError {
  override readonly name = "AddressNotInPoolError";
  constructor(
    readonly address: string,
    /** The pool that holds it but is disabled, if any. */
    readonly disabledPool?: string,
  ) {
    super(
      `address ${address} is not in any configured IP pool${disabledPool ? ` (pool ${disabledPool} is disabled)` : ""}`,
    );
  }
}

/** A specific address is already assigned. */
export class AddressInUseError extends IpamError {
  override readonly name = "AddressInUseError";
  constructor(
    readonly address: string,
    readonly handleId: string | null,
  ) {
    super(`address ${address} is already in use${handleId ? ` by handle ${handleId}` : ""}`);
  }
}

/**
 * A specific address is excluded by an IPReservation.
 * @deprecated Calico's `AssignIP` does not apply reservations (they apply to
 * automatic assignment only), and neither does `assignIp` any more.
 */
export class AddressReservedError extends IpamError {
  override readonly name = "AddressReservedError";
  constructor(readonly address: string) {
    super(`address ${address} is reserved by an IPReservation`);
  }
}

/**
 * No pool qualifies for the request: none of the family, all disabled, none
 * selecting the node, none allowing the use (Calico `ErrNoQualifiedPool`,
 * "no configured Calico pools for node").
 */
export class NoEligiblePoolError extends IpamError {
  override readonly name = "NoEligiblePoolError";
  constructor(
    readonly family: 4 | 6,
    reason: string,
  ) {
    super(`no eligible IPv${family} pool: ${reason}`);
  }
}

/**
 * The pools in play have no free address left (Calico's "No IPs available in
 * pools" shortfall of `autoAssign`). `available` is how many could be
 * assigned; with `allOrNothing` (the default) none were kept.
 */
export class PoolExhaustedError extends IpamError {
  override readonly name = "PoolExhaustedError";
  constructor(
    readonly family: 4 | 6,
    readonly requested: number,
    readonly available: number,
    readonly pools: readonly string[],
    kept = false,
  ) {
    super(
      `IPv${family} pools exhausted: requested ${requested}, could assign ${available} from ${pools.join(", ") || "no pool"}${kept ? "" : "; nothing was assigned"}`,
    );
  }
}

/**
 * The host already owns `limit` blocks of this family in the pools in play
 * and needs another (Calico `ErrBlockLimit`, "cannot allocate new block due
 * to per host block limit").
 */
export class BlockLimitError extends IpamError {
  override readonly name = "BlockLimitError";
  constructor(
    readonly host: string,
    readonly family: 4 | 6,
    readonly limit: number,
    readonly requested: number,
    readonly available: number,
  ) {
    super(
      `cannot allocate new block due to per host block limit: host ${host} has ${limit} IPv${family} blocks (assigned ${available} of ${requested})`,
    );
  }
}

/**
 * No unclaimed block is left in the pools in play, and strictAffinity forbids
 * borrowing (Calico `noFreeBlocksError`, "No more free affine blocks and
 * strict affinity enabled"); or `autoAllocateBlocks` is off.
 */
export class NoFreeBlocksError extends IpamError {
  override readonly name = "NoFreeBlocksError";
  constructor(
    readonly host: string,
    readonly family: 4 | 6,
    readonly requested: number,
    readonly available: number,
    readonly reason: "strictAffinity" | "autoAllocateBlocksDisabled" | "noFreeBlocks",
  ) {
    super(
      `no free IPv${family} blocks for host ${host} (${reason}): assigned ${available} of ${requested}`,
    );
  }
}

/**
 * A release named a sequence number or handle that does not match the
 * address's current allocation: the caller's information is stale, and
 * nothing in that block was released (Calico `cerrors.ErrorResourceUpdateConflict`
 * wrapping `ErrorBadSequenceNumber` / `ErrorBadHandle`, from `allocationBlock.release`).
 */
export class ReleaseConflictError extends IpamError {
  override readonly name = "ReleaseConflictError";
  constructor(
    readonly address: string,
    readonly field: "sequenceNumber" | "handleId",
    readonly requested: string | number,
    /** What the block holds now (null: the address is free, or has no handle). */
    readonly expected: string | number | null,
    /** Addresses of other blocks this call had already released (blocks are released one by one, as Calico does). */
    readonly releasedBefore: readonly string[] = [],
  ) {
    super(
      `release of ${address} conflicts with its current allocation: ${field} ${JSON.stringify(requested)} requested, ${expected === null ? "none" : JSON.stringify(expected)} held; nothing in its block was released`,
    );
  }
}

/** A handle does not exist (Calico `cerrors.ErrorResourceDoesNotExist` from `IPsByHandle` / `ReleaseByHandle`). */
export class HandleNotFoundError extends IpamError {
  override readonly name = "HandleNotFoundError";
  constructor(readonly handleId: string) {
    super(`IPAM handle ${JSON.stringify(handleId)} does not exist`);
  }
}

/**
 * An explicitly requested pool does not exist or is disabled (Calico
 * `determinePools`: "the given pool (%s) does not exist, or is not enabled").
 */
export class RequestedPoolError extends IpamError {
  override readonly name = "RequestedPoolError";
  constructor(
    readonly pool: string,
    readonly reason: "unknown" | "disabled",
  ) {
    super(
      `the given pool (${pool}) does not exist, or is not enabled: ${reason === "unknown" ? "no such pool" : "the pool is disabled"}`,
    );
  }
}

/**
 * A requested pool list holds a pool of the other family (Calico `AutoAssign`:
 * "provided IPv4 IPPools list contains one or more IPv6 IPPools").
 */
export class PoolFamilyError extends IpamError {
  override readonly name = "PoolFamilyError";
  constructor(
    readonly pool: string,
    readonly expected: 4 | 6,
  ) {
    super(
      `provided IPv${expected} IPPools list contains one or more IPv${expected === 4 ? 6 : 4} IPPools (${pool})`,
    );
  }
}

/** The address's pool does not allow the intended use (Calico `AssignIP`'s allowedUses check). */
export class UseNotAllowedError extends IpamError {
  override readonly name = "UseNotAllowedError";
  constructor(
    readonly address: string,
    readonly pool: string,
    readonly use: string,
  ) {
    super(`IP address ${address} is in IP pool ${pool}, which is not allowed for use ${use}`);
  }
}

/**
 * strictAffinity forbids the assignment: the block is affine to another host,
 * or to none (Calico `allocationBlock.assign`: "Block host affinity does not
 * match" / "Attempt to assign from block with no affinity").
 */
export class AffinityMismatchError extends IpamError {
  override readonly name = "AffinityMismatchError";
  constructor(
    readonly block: string,
    /** The block's owner, null when it has none. */
    readonly owner: string | null,
    readonly host: string,
  ) {
    super(
      owner === null
        ? `strictAffinity: block ${block} has no affinity, ${host} may not assign from it`
        : `strictAffinity: block ${block} is affine to ${owner}, not ${host}`,
    );
  }
}

/** A block is already claimed by another host (Calico `errBlockClaimConflict`). */
export class BlockClaimConflictError extends IpamError {
  override readonly name = "BlockClaimConflictError";
  constructor(
    readonly block: string,
    readonly owner: string | null,
  ) {
    super(`${block} already claimed${owner ? ` by host:${owner}` : ""}`);
  }
}

/** A block that must be empty is not (Calico `errBlockNotEmpty`). */
export class BlockNotEmptyError extends IpamError {
  override readonly name = "BlockNotEmptyError";
  constructor(
    readonly block: string,
    readonly inUse: number,
  ) {
    super(`block '${block}' is not empty (${inUse} addresses in use)`);
  }
}

/**
 * A CIDR is smaller than one block of its pool (Calico `invalidSizeError`),
 * or spans more blocks than one call claims ({@link MAX_BLOCKS_PER_CLAIM}).
 */
export class InvalidSizeError extends IpamError {
  override readonly name = "InvalidSizeError";
  constructor(
    readonly cidr: string,
    readonly blockSize: number,
    readonly reason: "smallerThanBlock" | "tooManyBlocks" = "smallerThanBlock",
  ) {
    super(
      reason === "smallerThanBlock"
        ? `The requested CIDR (${cidr}) is smaller than the minimum (/${blockSize}).`
        : `The requested CIDR (${cidr}) spans more than ${MAX_BLOCKS_PER_CLAIM} blocks of /${blockSize}; claim it in parts.`,
    );
  }
}

/** The most blocks one `claimAffinity` call claims (a /64 of /122 blocks would be 2^58). */
export const MAX_BLOCKS_PER_CLAIM = 4096;

/**
 * IPAM configuration that Calico refuses (`SetIPAMConfig`): strictAffinity
 * and autoAllocateBlocks both off, or maxBlocksPerHost without strictAffinity
 * (Calico's `ipamConfigConflictError` family).
 */
export class IpamConfigConflictError extends IpamError {
  override readonly name = "IpamConfigConflictError";
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`IPAM configuration ${field}: ${reason}`);
  }
}

/** The Node resource a pool's nodeSelector needs is absent (Calico: "failed to get node for host"). */
export class NodeNotFoundError extends IpamError {
  override readonly name = "NodeNotFoundError";
  constructor(readonly host: string) {
    super(
      `node ${JSON.stringify(host)} has no Node resource; a pool nodeSelector needs its labels`,
    );
  }
}

/** Host-reserved addresses leave no room in blocks of that size (Calico `getMaxPrefixLen`: "HostReservedAttr has wrong parameters"). */
export class HostReservedAttrError extends IpamError {
  override readonly name = "HostReservedAttrError";
  constructor(reason: string) {
    super(`HostReservedAttr has wrong parameters: ${reason}`);
  }
}

/** A compare-and-swap kept losing races beyond the retry bound. */
export class ContentionError extends IpamError {
  override readonly name = "ContentionError";
  constructor(
    readonly operation: string,
    readonly attempts: number,
  ) {
    super(`${operation}: gave up after ${attempts} conflicting attempts`);
  }
}

/** A pool's nodeSelector cannot be evaluated by the selector function in use. */
export class SelectorUnsupportedError extends IpamError {
  override readonly name = "SelectorUnsupportedError";
  constructor(readonly selector: string) {
    super(
      `nodeSelector ${JSON.stringify(selector)} needs a selector evaluator: pass \`selector\` to the Ipam options (the built-in one only knows all())`,
    );
  }
}

/** Stored IPAM data is malformed (written by something else, or corrupted). */
export class CorruptDataError extends IpamError {
  override readonly name = "CorruptDataError";
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super(`corrupt IPAM data at ${key}: ${reason}`);
  }
}
