// IP protocol names and numbers: the value type lives in @tortie/api.
export {
  PORT_PROTOCOLS,
  PROTOCOL_NUMBERS,
  type Protocol,
  type ProtocolName,
  protocolName,
  protocolNumber,
} from "@tortie/api";
