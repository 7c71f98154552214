import { conformance } from "../../test/conformance.js";
import { MemoryStore } from "./memory.js";

conformance("memory", async () => {
  let now = 1_000_000;
  const store = new MemoryStore({ now: () => now });
  return {
    store,
    advance: (ms) => {
      now += ms;
    },
    close: () => store.close(),
  };
});
