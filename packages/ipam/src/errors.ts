// IPAM's errors: small named classes, one per failure a caller acts on
// differently (after Calico's `libcalico-go/lib/ipam/ipam_errors.go`).

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

/** An address lies outside every configured pool. */
export class AddressNotInPoolError extends IpamError {
  override readonly name = "AddressNotInPoolError";
  constructor(readonly address: string) {
    super(`address ${address} is not in any configured IP pool`);
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

/** A specific address is excluded by an IPReservation. */
export class AddressReservedError extends IpamError {
  override readonly name = "AddressReservedError";
  constructor(readonly address: string) {
    super(`address ${address} is reserved by an IPReservation`);
  }
}

/** No pool is eligible for the request (none of the family, all disabled, selectors exclude the node). */
export class NoEligiblePoolError extends IpamError {
  override readonly name = "NoEligiblePoolError";
  constructor(
    readonly family: 4 | 6,
    reason: string,
  ) {
    super(`no eligible IPv${family} pool: ${reason}`);
  }
}

/** The eligible pools have fewer free addresses than requested; nothing was assigned. */
export class PoolExhaustedError extends IpamError {
  override readonly name = "PoolExhaustedError";
  constructor(
    readonly family: 4 | 6,
    readonly requested: number,
    readonly available: number,
    pools: readonly string[],
  ) {
    super(
      `IPv${family} pools exhausted: requested ${requested}, could assign ${available} from ${pools.join(", ") || "no pool"}; nothing was assigned`,
    );
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
