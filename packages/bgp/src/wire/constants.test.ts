// The NOTIFICATION names: one table (NOTIFICATIONS) names every code and
// subcode this package defines, and both texts come from it.
import { describe, expect, it } from "vitest";
import {
  CEASE_SUBCODE_NAMES,
  CeaseSubcode,
  ERROR_CODE_NAMES,
  ErrorCode,
  FsmSubcode,
  HeaderSubcode,
  NOTIFICATIONS,
  notificationName,
  notificationText,
  OpenSubcode,
  RouteRefreshSubcode,
  UpdateSubcode,
} from "./constants.js";

describe("NOTIFICATION names", () => {
  it("name every error code and every defined subcode (0, 'unspecific', aside)", () => {
    const subcodes: [number, Record<string, number>][] = [
      [ErrorCode.MessageHeader, HeaderSubcode],
      [ErrorCode.OpenMessage, OpenSubcode],
      [ErrorCode.UpdateMessage, UpdateSubcode],
      [ErrorCode.FsmError, FsmSubcode],
      [ErrorCode.Cease, CeaseSubcode],
      [ErrorCode.RouteRefreshMessage, RouteRefreshSubcode],
    ];
    for (const code of Object.values(ErrorCode)) expect(NOTIFICATIONS[code]?.name).toBeTruthy();
    for (const [code, subs] of subcodes) {
      const named = Object.keys(NOTIFICATIONS[code]!.subcodes).map(Number).sort();
      const defined = Object.values(subs)
        .filter((n) => n !== 0)
        .sort();
      expect(named).toEqual(defined);
    }
    expect(ERROR_CODE_NAMES[ErrorCode.Cease]).toBe("Cease");
    expect(CEASE_SUBCODE_NAMES[CeaseSubcode.HardReset]).toBe("Hard Reset");
  });

  it("notificationName: IANA's names of code and subcode, unknown ones by number", () => {
    expect(notificationName(6, 2)).toBe("Cease / Administrative Shutdown");
    expect(notificationName(2, 2)).toBe("OPEN Message Error / Bad Peer AS");
    expect(notificationName(4, 0)).toBe("Hold Timer Expired / subcode 0");
    expect(notificationName(99, 1)).toBe("code 99 / subcode 1");
  });

  it("notificationText: one name in BIRD's wording, unknown ones by number", () => {
    expect(notificationText(2, 2)).toBe("Bad peer AS");
    expect(notificationText(2, 7)).toBe("Unsupported capability");
    expect(notificationText(3, 11)).toBe("Malformed AS_PATH");
    expect(notificationText(3, 8)).toBe("Invalid NEXT_HOP attribute");
    expect(notificationText(3, 2)).toBe("Unrecognized well-known attribute");
    expect(notificationText(5, 1)).toBe("Receive unexpected message in OpenSent state");
    expect(notificationText(6, 3)).toBe("Peer de-configured");
    expect(notificationText(6, 10)).toBe("BFD down");
    expect(notificationText(7, 1)).toBe("Invalid message length");
    expect(notificationText(4, 0)).toBe("Hold timer expired");
    expect(notificationText(6, 0)).toBe("Cease");
    expect(notificationText(2, 99)).toBe("OPEN message error, subcode 99");
    expect(notificationText(8, 0)).toBe("Send hold timer expired");
    expect(notificationText(42, 1)).toBe("error code 42, subcode 1");
  });
});
